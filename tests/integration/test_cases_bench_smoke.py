"""The cases benchmarks work end to end at a tiny size, and their figures are the work's own.

Speed is not judged here (`pingan bench link` and `pingan bench match` are for that); what is judged is that
the clusters and the hits they report are really there: networkx finds the same clusters, and every planted
indicator is found while none of the others is.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from pingan.bench.money import LinkBenchConfig, MatchBenchConfig, run_link_bench, run_match_bench


def test_link_bench_finds_the_clusters_networkx_finds_and_blocks_the_hot_values() -> None:
    figures = run_link_bench(LinkBenchConfig(cases=4_000, cap=6), say=lambda _: None)
    assert figures["cases"] == 4_000
    assert figures["identifiers"] == 12_000
    assert figures["networkx_agrees"] is True
    assert figures["blocked_identifiers"] >= 5  # the five over-common values (each on ~16 of the 4,000 cases)
    assert figures["clusters"] > 0
    assert 2 <= figures["largest_cluster"] < 12  # rings of a few cases, not clusters glued by a hotline
    assert figures["seconds"] > 0
    assert figures["networkx_seconds"] > 0


def test_link_bench_without_the_cap_glues_the_rings_into_one() -> None:
    capped = run_link_bench(LinkBenchConfig(cases=4_000, cap=6, networkx=False), say=lambda _: None)
    figures = run_link_bench(LinkBenchConfig(cases=4_000, cap=10_000, networkx=False), say=lambda _: None)
    assert figures["blocked_identifiers"] == 0
    assert figures["largest_cluster"] >= 16 > capped["largest_cluster"]  # what the cap is for
    assert figures["clusters"] < capped["clusters"] + 5 * 16


def test_match_bench_finds_every_planted_indicator_and_nothing_else() -> None:
    figures = run_match_bench(MatchBenchConfig(indicators=50_000, lookups=20_000, batch=3_000), say=lambda _: None)
    assert figures["distinct_hashes"] == 50_000
    assert figures["planted_hits"] > 1_000
    assert figures["hits"] == figures["planted_hits"]
    assert figures["lookups_per_s"] > 0
    assert figures["cpu_seconds"] > 0
    assert figures["lookups_per_cpu_s"] > 0
    assert figures["rss_mb"] > 0


def test_bench_commands_print_one_json_line() -> None:
    for args in (["link", "--cases", "500"], ["match", "--indicators", "2000", "--lookups", "1000"]):
        out = subprocess.run(
            [sys.executable, "-m", "pingan.cli", "bench", *args],
            capture_output=True, text=True, timeout=300, env={**os.environ}, check=False,
        )  # fmt: skip
        assert out.returncode == 0, out.stderr
        lines = out.stdout.strip().splitlines()
        assert len(lines) == 1
        assert json.loads(lines[0])["bench"] == args[0]
