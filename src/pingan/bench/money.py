"""`pingan bench link` and `pingan bench match`: linking a million cases, matching against ten million indicators.

link: cases with three identifiers each (phones, cards, sites, WeChat ids, as `kind:value` strings), some
shared inside rings, some over-common (a bank's hotline); the identifiers are hashed, the over-common ones
blocked by the cap, and the clusters labelled with scipy's connected components. The same graph then goes
through networkx's connected components in the same run, and both must find the same clusters.

match: ten million indicators as a sorted array of 64-bit hashes (`pingan.money.hashindex`), and batches of
normalised identifiers looked up in it, a tenth of them listed.
"""

from __future__ import annotations

import random
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from pingan.money.hashindex import HashIndex, hash_keys
from pingan.money.linking import components, dense_ids

Say = Callable[[str], None]


def _rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # Linux: kilobytes


@dataclass(frozen=True)
class LinkBenchConfig:
    cases: int = 1_000_000
    per_case: int = 3
    ring_share: float = 0.3
    """Share of cases whose first identifier is one of a ring's."""
    ring_size: int = 8
    hot_share: float = 0.02
    """Share of cases naming an over-common value (95588, a payment app)."""
    cap: int = 50
    networkx: bool = True
    seed: int = 7


def _link_data(cfg: LinkBenchConfig) -> tuple[list[str], np.ndarray]:
    """The identifiers as strings, and the case of each (`per_case` a case)."""
    rng = random.Random(cfg.seed)
    kinds = ("phone", "account", "url", "wechat")
    n_rings = max(1, cfg.cases // 40)
    hot = ["phone:95588", "phone:10086", "app:com.eg.android.alipaygphone", "domain:t.cn", "phone:96110"]
    keys: list[str] = []
    for case in range(cfg.cases):
        for slot in range(cfg.per_case):
            if slot == 0 and rng.random() < cfg.ring_share:
                ring = rng.randrange(n_rings)
                keys.append(f"phone:170{ring:05d}{rng.randrange(cfg.ring_size):03d}")
            elif slot == 1 and rng.random() < cfg.hot_share:
                keys.append(hot[rng.randrange(len(hot))])
            else:
                kind = kinds[(case + slot) % len(kinds)]
                keys.append(f"{kind}:{rng.getrandbits(60):x}")
    case_of = np.repeat(np.arange(cfg.cases, dtype=np.int64), cfg.per_case)
    return keys, case_of


def run_link_bench(cfg: LinkBenchConfig, say: Say = print) -> dict[str, Any]:
    say(f"generating {cfg.cases:,} cases × {cfg.per_case} identifiers")
    keys, case_of = _link_data(cfg)
    say("linking (hash, cap, connected components)")
    t0 = time.perf_counter()
    hashes = hash_keys(keys)
    key_of = dense_ids(hashes)
    labels, blocked = components(case_of, key_of, cfg.cases, cfg.cap)
    seconds = time.perf_counter() - t0
    sizes = np.bincount(labels)
    figures: dict[str, Any] = {
        "bench": "link",
        "cases": cfg.cases,
        "identifiers": len(keys),
        "distinct_identifiers": int(key_of.max()) + 1 if key_of.size else 0,
        "blocked_identifiers": int(blocked.sum()),
        "cap": cfg.cap,
        "seconds": round(seconds, 3),
        "clusters": int((sizes >= 2).sum()),
        "components": int(sizes.size),
        "largest_cluster": int(sizes.max()) if sizes.size else 0,
        "networkx_seconds": None,
        "speedup": None,
    }
    if cfg.networkx:
        import networkx as nx

        say("the same graph through networkx")
        keep = ~blocked[key_of]
        edges = zip(case_of[keep].tolist(), (key_of[keep] + cfg.cases).tolist(), strict=True)
        t1 = time.perf_counter()
        graph = nx.Graph()
        graph.add_nodes_from(range(cfg.cases))
        graph.add_edges_from(edges)
        nx_sizes = sorted(
            (sum(1 for n in comp if n < cfg.cases) for comp in nx.connected_components(graph)), reverse=True
        )
        nx_seconds = time.perf_counter() - t1
        nx_sizes = [s for s in nx_sizes if s > 0]
        figures["networkx_seconds"] = round(nx_seconds, 3)
        figures["speedup"] = round(nx_seconds / seconds, 1) if seconds > 0 else None
        figures["networkx_agrees"] = nx_sizes == sorted(sizes.tolist(), reverse=True)
    figures["rss_mb"] = _rss_mb()
    return figures


@dataclass(frozen=True)
class MatchBenchConfig:
    indicators: int = 10_000_000
    lookups: int = 2_000_000
    batch: int = 100_000
    hit_share: float = 0.1
    seed: int = 7


def _indicator(i: int) -> str:
    return f"phone:1{(i * 2654435761) % 10**10:010d}"


def run_match_bench(cfg: MatchBenchConfig, say: Say = print) -> dict[str, Any]:
    say(f"hashing {cfg.indicators:,} indicators")
    t0 = time.perf_counter()
    step = 1_000_000
    parts = [
        hash_keys([_indicator(i) for i in range(s, min(s + step, cfg.indicators))])
        for s in range(0, cfg.indicators, step)
    ]
    index = HashIndex(np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint64))
    del parts
    build = time.perf_counter() - t0
    rng = random.Random(cfg.seed)
    queries: list[str] = []
    planted = 0
    for _ in range(cfg.lookups):
        if rng.random() < cfg.hit_share:
            queries.append(_indicator(rng.randrange(cfg.indicators)))
            planted += 1
        else:
            queries.append(f"phone:2{rng.randrange(10**10):010d}")  # no mobile starts with 2: never listed
    say(f"{cfg.lookups:,} lookups in batches of {cfg.batch:,}")
    hits = 0
    t1, c1 = time.perf_counter(), time.process_time()
    for s in range(0, len(queries), cfg.batch):
        hits += int(index.contains(queries[s : s + cfg.batch]).sum())
    seconds = time.perf_counter() - t1
    cpu = time.process_time() - c1  # on a loaded machine the wall clock counts other processes' turns too
    return {
        "bench": "match",
        "indicators": cfg.indicators,
        "distinct_hashes": len(index),
        "lookups": cfg.lookups,
        "hits": hits,
        "planted_hits": planted,
        "seconds": round(seconds, 3),
        "lookups_per_s": round(cfg.lookups / seconds) if seconds > 0 else None,
        "cpu_seconds": round(cpu, 3),
        "lookups_per_cpu_s": round(cfg.lookups / cpu) if cpu > 0 else None,
        "build_seconds": round(build, 3),
        "rss_mb": _rss_mb(),
    }
