"""The demo's generated cases: plausible, never a round loss, and linked into the three rings and no more."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from pingan.demo.cases import generate_cases
from pingan.demo.county import generate_county
from pingan.demo.population import generate_people
from pingan.money.extract import extract_identifiers
from pingan.money.linking import MemoryStore, relink
from pingan.money.rules import CaseRules
from pingan.money.schemas import CaseCreate


def test_generated_cases_are_valid_and_form_three_rings() -> None:
    rng = random.Random(3)
    people = generate_people(300, generate_county(3), rng)
    cases = generate_cases(people, rng, datetime(2026, 12, 1, tzinfo=UTC))
    assert len({c["id"] for c in cases}) == 60
    for c in cases:
        CaseCreate.model_validate(c)
        assert not c["loss_yuan"].endswith(".00")
    rules = CaseRules.model_validate({"stoplist": {"phone": ["95588"]}}).link_rules()
    store = MemoryStore()
    for i, c in enumerate(cases, start=1):
        keys = [(f.kind.value, f.value) for f in extract_identifiers(c["narrative"]) if f.kind.value != "card_tail"]
        relink(store, [i], store.put(i, keys), rules)
    sizes = sorted((list(store.cluster.values()).count(k) for k in set(store.cluster.values())), reverse=True)
    assert len([s for s in sizes if s > 1]) == 3  # the rings; the lone cases (and 95588) link nothing
    assert sum(s for s in sizes if s > 1) == 40
