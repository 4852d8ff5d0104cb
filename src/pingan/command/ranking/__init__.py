"""Rankings of stations and departments (打榜): weighted indicators, districts, published snapshots.

`service.rank(session, period, ...) -> Ranking` is the entry point for the reports; see `service`.
"""
