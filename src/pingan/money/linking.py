"""Linking cases that share an identifier (串并案): clusters kept up to date as cases arrive.

Two cases are linked when they hold the same normalised identifier (a key: kind and value), and a cluster
is a connected component of that relation. Warnings (people warned, nobody defrauded yet) are members too,
under negative ids: a warning whose events named a case's account joins its cluster, two warnings naming one
phone form a cluster of their own, and the cap counts every member holding a key. A link is never stored pair by pair: each key lists the cases
that hold it, and each case carries its cluster's id (the smallest case id in it), so a value held by n
cases costs n rows, not n² (MISP's known failure: 1.3 M attributes gave 150 M correlation rows).

A key links nothing when it is *blocked*: on the county's stoplist (a bank's hotline, 10086, a big payment
app), or held by more than ``cap`` cases (a shared processor nobody listed). Blocking by count is what
makes incremental upkeep subtle: the case that takes a key over the cap must undo the links that key made.

:func:`relink` is the one incremental algorithm, over any :class:`LinkStore` (the database's, or
:class:`MemoryStore` for the rules' tests): after cases change it recomputes exactly the clusters that can
have changed, and gives the same clusters as :func:`batch_clusters` over everything (a property test
checks this). :func:`components` is the batch form in numpy/scipy, for a whole relink and the benchmark.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

Key = tuple[str, str]
"""An identifier as linked: (kind, normalised value)."""


@dataclass(frozen=True)
class LinkRules:
    stoplist: frozenset[Key]
    cap: int
    """A key held by more cases than this is blocked."""

    def blocked(self, key: Key, count: int) -> bool:
        return key in self.stoplist or count > self.cap


class LinkStore(Protocol):
    """What :func:`relink` reads and writes: the keys of cases, the holders of keys, the clusters."""

    def keys_of(self, case_ids: Iterable[int]) -> dict[int, set[Key]]: ...

    def counts(self, keys: Iterable[Key]) -> dict[Key, int]: ...

    def holders(self, keys: Iterable[Key]) -> dict[Key, set[int]]: ...

    def clusters_of(self, case_ids: Iterable[int]) -> dict[int, int]: ...

    def members(self, cluster_ids: Iterable[int]) -> set[int]: ...

    def set_clusters(self, assignment: Mapping[int, int]) -> None: ...


def relink(store: LinkStore, changed: Iterable[int], old_keys: Iterable[Key], rules: LinkRules) -> dict[int, int]:
    """Bring the clusters up to date after the cases `changed` were added or had their keys changed
    (`old_keys`: the keys they held before, for an edit). Returns the new cluster of every case looked at.

    Exact, not a heuristic: a cluster that can have changed holds a changed case, or a case holding one of
    the keys whose links or blocking changed; those clusters are recomputed whole, the others cannot move.
    """
    changed = set(changed)
    keys = set(old_keys)
    for own in store.keys_of(changed).values():
        keys |= own
    counts = store.counts(keys)
    # A key's holders matter when it links now, or linked before the change (its count was at most cap + 1
    # and it is off the stoplist); a key blocked before and after links nothing either way.
    live = [k for k in keys if k not in rules.stoplist and counts.get(k, 0) <= rules.cap + 1]
    touched = set(changed)
    for holders in store.holders(live).values():
        touched |= holders
    clusters = set(store.clusters_of(touched).values())
    cases = touched | store.members(clusters)
    held = store.keys_of(cases)
    all_keys = set().union(*held.values()) if held else set()
    all_counts = store.counts(all_keys)
    blocked = {k for k in all_keys if rules.blocked(k, all_counts.get(k, 0))}
    assignment = batch_clusters({c: held.get(c, set()) for c in cases}, blocked)
    store.set_clusters(assignment)
    return assignment


def batch_clusters(cases: Mapping[int, Iterable[Key]], blocked: set[Key] | frozenset[Key]) -> dict[int, int]:
    """Each member's cluster: the smallest case id of its connected component (a member id below zero is a
    warning, see :func:`warning_member`; a component of warnings alone is named by minus its smallest
    warning id), linking through keys not in `blocked`. A member sharing nothing is its own cluster."""
    parent: dict[int, int] = {c: c for c in cases}

    def find(x: int) -> int:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    first: dict[Key, int] = {}
    for case_id, keys in cases.items():
        for key in keys:
            if key in blocked:
                continue
            other = first.setdefault(key, case_id)
            a, b = find(case_id), find(other)
            if a != b:
                parent[max(a, b)] = min(a, b)
    roots = {c: find(c) for c in cases}
    smallest: dict[int, int] = {}
    for case_id, root in roots.items():
        if root not in smallest or _first(case_id, smallest[root]):
            smallest[root] = case_id
    return {c: smallest[r] for c, r in roots.items()}


def _first(a: int, b: int) -> bool:
    """Does member `a` name its cluster before `b`? Cases (positive ids) before warnings (negative ids),
    then the smallest id: a cluster is named by its smallest case, or minus its smallest warning."""
    return (a < 0, abs(a)) < (b < 0, abs(b))


def warning_member(warning_id: int) -> int:
    """The member id of a warning in the clusters: minus its id (cases keep their own, positive, ids)."""
    return -warning_id


def blocked_keys(counts: Mapping[Key, int], rules: LinkRules) -> dict[Key, int]:
    """The keys that link nothing, with their counts (stoplisted ones included whatever their count)."""
    return {k: n for k, n in counts.items() if rules.blocked(k, n)}


@dataclass
class MemoryStore:
    """A :class:`LinkStore` in dictionaries: the rules' tests, and anything small."""

    keys: dict[int, set[Key]] = field(default_factory=dict)
    index: dict[Key, set[int]] = field(default_factory=dict)
    cluster: dict[int, int] = field(default_factory=dict)

    def put(self, case_id: int, keys: Iterable[Key]) -> set[Key]:
        """Give `case_id` the keys `keys` (replacing what it held); returns the keys it held before."""
        old = self.keys.get(case_id, set())
        for key in old:
            self.index[key].discard(case_id)
        new = set(keys)
        self.keys[case_id] = new
        for key in new:
            self.index.setdefault(key, set()).add(case_id)
        self.cluster.setdefault(case_id, case_id)
        return old

    def keys_of(self, case_ids: Iterable[int]) -> dict[int, set[Key]]:
        return {c: set(self.keys.get(c, set())) for c in case_ids if c in self.keys}

    def counts(self, keys: Iterable[Key]) -> dict[Key, int]:
        return {k: len(self.index.get(k, ())) for k in keys}

    def holders(self, keys: Iterable[Key]) -> dict[Key, set[int]]:
        return {k: set(self.index.get(k, ())) for k in keys}

    def clusters_of(self, case_ids: Iterable[int]) -> dict[int, int]:
        return {c: self.cluster[c] for c in case_ids if c in self.cluster}

    def members(self, cluster_ids: Iterable[int]) -> set[int]:
        wanted = set(cluster_ids)
        return {c for c, k in self.cluster.items() if k in wanted}

    def set_clusters(self, assignment: Mapping[int, int]) -> None:
        self.cluster.update(assignment)


# --- batch, in arrays -----------------------------------------------------------------------------------


def components(
    case_of: npt.NDArray[np.int64], key_of: npt.NDArray[np.int64], n_cases: int, cap: int,
    stop: npt.NDArray[np.int64] | None = None,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:  # fmt: skip
    """Clusters of `n_cases` cases from their (case index, key index) pairs, as arrays.

    Returns each case's cluster label (0..k-1) and, per key index, whether it was blocked: held by more
    than `cap` distinct cases, or listed in `stop`. The graph is bipartite (cases and keys as nodes), so a
    key held by n cases is n edges, and scipy's connected components labels it in one pass.
    """
    n_keys = int(key_of.max()) + 1 if key_of.size else 0
    # Distinct (key, case) pairs, as one integer each: a case naming a value twice counts once.
    pairs = distinct(key_of * np.int64(n_cases) + case_of)
    pair_key, pair_case = pairs // n_cases, pairs % n_cases
    counts = np.bincount(pair_key, minlength=n_keys)
    blocked = counts > cap
    if stop is not None and stop.size:
        blocked[stop[stop < n_keys]] = True
    keep = ~blocked[pair_key]
    rows = pair_case[keep]
    cols = pair_key[keep] + n_cases
    size = n_cases + n_keys
    graph = csr_matrix((np.ones(rows.size, dtype=np.int8), (rows, cols)), shape=(size, size))
    _, labels = connected_components(graph, directed=False)
    case_labels = labels[:n_cases].astype(np.int64)
    # Relabel densely over the cases alone (key nodes took labels too).
    return dense_ids(case_labels.astype(np.uint64)), blocked


def distinct(values: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """The distinct values, sorted: by a sort and a comparison of neighbours (numpy's `unique` is many times
    slower on large integer arrays in numpy 2)."""
    ordered = np.sort(values)
    if ordered.size == 0:
        return ordered
    keep = np.empty(ordered.size, dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def dense_ids(values: npt.NDArray[np.uint64]) -> npt.NDArray[np.int64]:
    """Each value's rank among the distinct values (0 .. k-1): `np.unique(values, return_inverse=True)[1]`,
    by one argsort."""
    order = np.argsort(values)
    ordered = values[order]
    step = np.empty(ordered.size, dtype=np.int64)
    if ordered.size:
        step[0] = 0
        np.not_equal(ordered[1:], ordered[:-1], out=step[1:])
    ids = np.cumsum(step)
    out = np.empty(values.size, dtype=np.int64)
    out[order] = ids
    return out
