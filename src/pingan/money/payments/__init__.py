"""Stop-payment, freeze and return of funds with the banks (DESIGN §2A A6, §5): each request a task held by the
bank's unit, its deadlines counted in hours (the 48 h hold), months (the 6-month freeze) and working days (the
return), with the county's rules in `rules.py` and the working-day calendar in `calendar.py`."""
