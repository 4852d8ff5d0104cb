"""`pingan bench search` works end to end at a tiny size: every search answers, and the analyst (county-wide)
finds every warning's phone in whatever format it was typed. Speed is not judged here."""

from __future__ import annotations

from pingan.bench.search import SearchBenchConfig, run_search_bench


def test_search_bench_finds_every_warning_phone_in_other_formats() -> None:
    figures = run_search_bench(
        SearchBenchConfig(residents=400, indicators=100, events=1_000, queries=8), say=lambda _: None
    )
    assert figures["warnings"] > 0
    assert figures["analyst_phone_formats"]["found_share"] == 1.0
    assert figures["analyst_number"]["found_share"] == 1.0
    assert figures["analyst_id_number"]["found_share"] == 1.0
    # A station officer finds only what is in their station: never more than the analyst.
    assert figures["officer_phone_formats"]["found_share"] <= 1.0
    for key in ("analyst_name", "officer_name"):
        assert figures[key]["p50_ms"] <= figures[key]["p99_ms"]
