"""`pingan bench reach` works end to end at a small size: the leave and stale rows it plants are left out of
every answer, and the service and the pure circles both answer. Speed is not judged here."""

from __future__ import annotations

from pingan.bench.reach import ReachBenchConfig, run_reach_bench


def test_reach_bench_leaves_out_the_units_on_leave_and_the_stale_ones() -> None:
    figures = run_reach_bench(ReachBenchConfig(units=40, queries=20))
    # Every tenth unit is on leave and every twentieth stale (the twentieths are tenths too): 4 of 40.
    assert figures["mean_excluded"] == 4.0
    assert figures["queries_per_s"] > 0
    assert figures["compute_per_s"] > 0
    assert figures["p50_ms"] <= figures["p99_ms"]
