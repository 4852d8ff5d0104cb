"""Linking cases by shared identifiers: clusters, over-common values, and incremental upkeep equal to batch."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pingan.money.hashindex import HashIndex, hash_keys
from pingan.money.linking import Key, LinkRules, MemoryStore, batch_clusters, components, relink

P = "phone"
NO_STOP = LinkRules(frozenset(), cap=50)


def partition(assignment: dict[int, int]) -> set[frozenset[int]]:
    groups: dict[int, set[int]] = {}
    for case_id, cluster in assignment.items():
        groups.setdefault(cluster, set()).add(case_id)
    return {frozenset(g) for g in groups.values()}


def add(store: MemoryStore, case_id: int, keys: list[Key], rules: LinkRules) -> None:
    old = store.put(case_id, keys)
    relink(store, [case_id], old, rules)


def test_cases_sharing_an_identifier_are_one_cluster_named_by_its_smallest_case() -> None:
    store = MemoryStore()
    add(store, 1, [(P, "13800000001")], NO_STOP)
    add(store, 2, [(P, "13800000002")], NO_STOP)
    add(store, 3, [(P, "13800000001"), ("account", "6222000011112222")], NO_STOP)
    add(store, 4, [("account", "6222000011112222")], NO_STOP)
    assert store.cluster == {1: 1, 2: 2, 3: 1, 4: 1}


def test_a_case_joining_two_clusters_merges_them() -> None:
    store = MemoryStore()
    add(store, 1, [(P, "a")], NO_STOP)
    add(store, 2, [(P, "b")], NO_STOP)
    add(store, 3, [(P, "a"), (P, "b")], NO_STOP)
    assert set(store.cluster.values()) == {1}


def test_a_stoplisted_value_links_nothing() -> None:
    rules = LinkRules(frozenset({(P, "95588")}), cap=50)
    store = MemoryStore()
    for case_id in (1, 2, 3):
        add(store, case_id, [(P, "95588"), (P, f"1390000000{case_id}")], rules)
    assert store.cluster == {1: 1, 2: 2, 3: 3}


def test_the_case_that_takes_a_value_over_the_cap_undoes_its_links() -> None:
    rules = LinkRules(frozenset(), cap=3)
    store = MemoryStore()
    for case_id in (1, 2, 3):
        add(store, case_id, [("domain", "shared-processor.com")], rules)
    assert set(store.cluster.values()) == {1}  # three cases: at the cap, still linked
    add(store, 4, [("domain", "shared-processor.com")], rules)
    assert store.cluster == {1: 1, 2: 2, 3: 3, 4: 4}  # four: over the cap, the value is blocked


def test_cases_linked_by_another_value_stay_linked_when_a_common_one_is_blocked() -> None:
    rules = LinkRules(frozenset(), cap=2)
    store = MemoryStore()
    add(store, 1, [(P, "hot"), (P, "ring")], rules)
    add(store, 2, [(P, "hot"), (P, "ring")], rules)
    add(store, 3, [(P, "hot")], rules)
    assert store.cluster == {1: 1, 2: 1, 3: 3}


def test_an_edit_that_removes_the_only_shared_value_splits_the_cluster() -> None:
    store = MemoryStore()
    add(store, 1, [(P, "a")], NO_STOP)
    add(store, 2, [(P, "a"), (P, "b")], NO_STOP)
    add(store, 3, [(P, "b")], NO_STOP)
    assert set(store.cluster.values()) == {1}
    add(store, 2, [(P, "c")], NO_STOP)  # the case's identifiers, edited
    assert store.cluster == {1: 1, 2: 2, 3: 3}


def test_an_edit_that_brings_a_value_back_under_the_cap_links_again() -> None:
    rules = LinkRules(frozenset(), cap=2)
    store = MemoryStore()
    for case_id in (1, 2, 3):
        add(store, case_id, [(P, "x")], rules)
    assert store.cluster == {1: 1, 2: 2, 3: 3}
    add(store, 3, [(P, "y")], rules)
    assert store.cluster == {1: 1, 2: 1, 3: 3}


VALUES = st.sampled_from([(P, str(i)) for i in range(12)] + [("account", str(i)) for i in range(4)])
OPS = st.lists(st.tuples(st.integers(1, 25), st.lists(VALUES, max_size=4)), min_size=1, max_size=60)
MEMBER = st.integers(-12, 25).filter(lambda m: m != 0)
"""A case (above zero) or a warning (below zero: minus its id)."""
MEMBER_OPS = st.lists(st.tuples(MEMBER, st.lists(VALUES, max_size=4)), min_size=1, max_size=60)


def test_a_cluster_is_named_by_its_smallest_case_else_by_minus_its_smallest_warning() -> None:
    rules = LinkRules(frozenset(), cap=10)
    store = MemoryStore()
    add(store, -7, [(P, "x")], rules)
    add(store, -3, [(P, "x")], rules)
    assert store.cluster == {-7: -3, -3: -3}
    add(store, 9, [(P, "x")], rules)
    add(store, 4, [(P, "y")], rules)
    assert store.cluster == {-7: 9, -3: 9, 9: 9, 4: 4}
    add(store, -3, [(P, "x"), (P, "y")], rules)  # the warning names a second value: it bridges the two
    assert set(store.cluster.values()) == {4}


@settings(max_examples=300, deadline=None)
@given(ops=MEMBER_OPS, cap=st.integers(2, 6), stop=st.sets(VALUES, max_size=2))
def test_incremental_clusters_equal_batch_clusters_after_every_change(
    ops: list[tuple[int, list[Key]]], cap: int, stop: set[Key]
) -> None:
    rules = LinkRules(frozenset(stop), cap)
    store = MemoryStore()
    for case_id, keys in ops:  # new cases, and edits of earlier ones (a case id seen before)
        add(store, case_id, keys, rules)
        counts = {k: len(v) for k, v in store.index.items()}
        blocked = {k for k, n in counts.items() if rules.blocked(k, n)}
        expected = batch_clusters(store.keys, blocked)
        assert store.cluster == expected


@settings(max_examples=100, deadline=None)
@given(ops=OPS, cap=st.integers(2, 6))
def test_the_array_form_finds_the_same_clusters(ops: list[tuple[int, list[Key]]], cap: int) -> None:
    held: dict[int, set[Key]] = {}
    for case_id, keys in ops:
        held[case_id] = set(keys)
    ids = sorted(held)
    names = sorted({k for keys in held.values() for k in keys})
    index = {k: i for i, k in enumerate(names)}
    case_of = np.array([ids.index(c) for c in ids for _ in held[c]], dtype=np.int64)
    key_of = np.array([index[k] for c in ids for k in sorted(held[c])], dtype=np.int64)
    labels, blocked = components(case_of, key_of, len(ids), cap)
    counts = {k: sum(1 for keys in held.values() if k in keys) for k in names}
    assert {names[i] for i in np.flatnonzero(blocked)} == {k for k, n in counts.items() if n > cap}
    by_label: dict[int, set[int]] = {}
    for i, label in enumerate(labels.tolist()):
        by_label.setdefault(label, set()).add(ids[i])
    expected = batch_clusters(held, {k for k, n in counts.items() if n > cap})
    assert {frozenset(g) for g in by_label.values()} == partition(expected)


def test_hash_index_finds_what_it_holds_and_nothing_else() -> None:
    listed = [f"phone:1390574{i:04d}" for i in range(5000)] + ["domain:例子.中国", "url:evil.com/" + "x" * 200]
    index = HashIndex.of(listed, batch=777)
    assert len(index) == len(listed)
    assert index.contains(listed).all()
    others = [f"phone:1390575{i:04d}" for i in range(5000)] + ["domain:例子.中囯", "url:evil.com/" + "x" * 199]
    assert not index.contains(others).any()
    # A key hashes the same whatever else is in its batch (the padding of a batch is skipped).
    assert hash_keys(["phone:13812345678"])[0] == hash_keys(["phone:13812345678", "a" * 64])[0]
    assert HashIndex.of([]).contains(["phone:1"]).tolist() == [False]
