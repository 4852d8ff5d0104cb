"""The synthetic population: valid, unique, located, and the same for the same seed."""

from __future__ import annotations

import csv
import random
from collections import Counter
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import shapely
from shapely.geometry import box

from pingan.core.geo import GeoArea
from pingan.core.identifiers import IdentifierKind, is_valid_cn_id_number, match_keys, normalize
from pingan.core.people import PersonIn
from pingan.demo.population import EventFeed, generate_indicators, generate_people, id_number_check, write_people_csv
from pingan.fraud.schemas import FRAUD_TYPES, EventIn, IndicatorIn

STATIONS = [
    GeoArea("甲街道", "330225001", box(121.0, 29.0, 121.1, 29.1)),
    GeoArea("乙镇", "330225101", box(121.1, 29.0, 121.3, 29.1)),
    GeoArea("丙乡", "330225200", shapely.Polygon([(121.0, 29.1), (121.2, 29.1), (121.1, 29.2)])),
]


@cache
def people(seed: int = 1, n: int = 4000) -> list[dict[str, Any]]:
    return generate_people(n, STATIONS, random.Random(seed))


@cache
def indicators(seed: int = 2, n: int = 2000) -> list[dict[str, Any]]:
    return generate_indicators(n, random.Random(seed))


def listed() -> set[tuple[str, str]]:
    return {(row["kind"], row["value"]) for row in indicators()}


def is_hit(item: dict[str, Any], listed_keys: set[tuple[str, str]]) -> bool:
    counterpart = item.get("counterpart")
    if counterpart is None or item["kind"] in ("report", "pushed_warning"):
        return False
    kind = {
        "call": IdentifierKind.PHONE,
        "sms": IdentifierKind.PHONE,
        "transfer": IdentifierKind.ACCOUNT,
        "url_visit": IdentifierKind.URL,
        "app_install": IdentifierKind.APP,
    }[item["kind"]]
    return any((k.value, v) in listed_keys for k, v in match_keys(kind, counterpart))


def test_id_number_check_character_follows_gb_11643() -> None:
    assert id_number_check("11010519491231002") == "X"  # the standard's own example
    assert is_valid_cn_id_number("11010519491231002X")


def test_residents_have_valid_id_numbers_of_the_county() -> None:
    rows = people()
    assert all(is_valid_cn_id_number(r["id_number"]) for r in rows)
    assert all(r["id_number"].startswith("330225") for r in rows)
    assert all(int(r["id_number"][6:10]) == r["birth_year"] for r in rows)
    assert len({r["id_number"] for r in rows}) == len(rows)


def test_every_row_is_accepted_by_the_registry_import() -> None:
    for row in people()[:500]:
        person = PersonIn.model_validate(row)
        assert person.phones == row["phones"]


def test_phones_are_unique_mobiles_none_one_or_two_each() -> None:
    rows = people()
    phones = [p for r in rows for p in r["phones"]]
    assert len(phones) == len(set(phones))
    assert all(len(p) == 11 and p.isdigit() and p[0] == "1" for p in phones)
    counts = Counter(len(r["phones"]) for r in rows)
    assert set(counts) == {0, 1, 2}
    owners = counts[1] + counts[2]
    assert 0.2 < counts[2] / owners < 0.4
    assert counts[0] / len(rows) < 0.15  # mostly young children and the very old


def test_each_resident_lives_inside_their_station() -> None:
    by_code = {s.code: s for s in STATIONS}
    for row in people():
        station = by_code[row["station"]]
        assert station.geometry.contains(shapely.Point(row["lon"], row["lat"]))
        assert row["address"].startswith(f"象山县{station.name}")
        assert row["address"].endswith("号")


def test_every_station_has_residents_in_proportion_to_its_size() -> None:
    counts = Counter(r["station"] for r in people())
    assert set(counts) == {s.code for s in STATIONS}
    # 甲 is a 街道 (denser): 0.01 deg² x 3 against 乙's 0.02 deg² x 1.
    assert counts["330225001"] > counts["330225101"]


def test_ages_spread_like_a_county_with_a_sixth_over_65() -> None:
    rows = people()
    ages = [2026 - r["birth_year"] for r in rows]
    elderly = sum(a >= 65 for a in ages) / len(ages)
    assert 0.16 < elderly < 0.20
    assert min(ages) >= 0
    assert max(ages) < 100
    assert all(("elderly" in r["tags"]) == (2026 - r["birth_year"] >= 65) for r in rows)
    students = [2026 - r["birth_year"] for r in rows if "student" in r["tags"]]
    assert students
    assert all(7 <= a <= 22 for a in students)


def test_the_same_seed_gives_the_same_people_and_another_seed_others() -> None:
    again = generate_people(4000, STATIONS, random.Random(1))
    assert again == people()
    assert generate_people(50, STATIONS, random.Random(9)) != again[:50]


def test_the_people_csv_reads_back_as_the_rows(tmp_path: Path) -> None:
    rows = people()[:20]
    path = tmp_path / "people.csv"
    write_people_csv(rows, path)
    with path.open(encoding="utf-8", newline="") as fh:
        back = list(csv.DictReader(fh))
    assert len(back) == 20
    for row, read in zip(rows, back, strict=True):
        person = PersonIn.model_validate(read)
        assert person.id_number == row["id_number"]
        assert person.phones == row["phones"]
        assert person.tags == row["tags"]
        assert person.lon == pytest.approx(row["lon"])


def test_indicators_are_distinct_valid_and_already_normalised() -> None:
    rows = indicators()
    assert len(listed()) == len(rows)
    kinds = Counter(r["kind"] for r in rows)
    assert set(kinds) == {"phone", "account", "url", "domain", "app"}
    assert kinds["phone"] > len(rows) / 3
    for row in rows:
        item = IndicatorIn.model_validate(row)
        assert normalize(item.kind, item.value) == row["value"]
    assert {r["fraud_type"] for r in rows} == set(FRAUD_TYPES) - {"normal"}


def test_indicator_phones_never_belong_to_residents() -> None:
    phones = {p for r in people() for p in r["phones"]}
    assert not phones & {r["value"] for r in indicators() if r["kind"] == "phone"}


def test_feed_events_are_valid_intake_events_with_unique_ids() -> None:
    feed = EventFeed(people(), indicators(), seed=3, hit_ratio=0.05)
    items = feed.take(3000)
    assert len({i["id"] for i in items}) == len(items)
    for item in items:
        EventIn.model_validate(item)


def test_feed_kinds_come_in_realistic_proportions() -> None:
    kinds = Counter(i["kind"] for i in EventFeed(people(), indicators(), seed=4).take(20_000))
    total = sum(kinds.values())
    assert kinds["call"] / total > 0.5
    assert kinds["call"] > kinds["sms"] > kinds["transfer"] > kinds["url_visit"] > kinds["app_install"]
    assert 0 < kinds["report"] + kinds["pushed_warning"] < total * 0.01


@pytest.mark.parametrize("ratio", [0.0, 0.01, 0.1, 0.5])
def test_feed_honours_the_hit_ratio(ratio: float) -> None:
    feed = EventFeed(people(), indicators(), seed=5, hit_ratio=ratio)
    items = feed.take(20_000)
    keys = listed()
    hits = {i["id"] for i in items if is_hit(i, keys)}
    assert hits == feed.hits
    assert len(hits) / len(items) == pytest.approx(ratio, abs=max(0.003, ratio * 0.1))


def test_feed_subjects_are_mostly_residents_with_a_few_unknown_numbers() -> None:
    phones = {p for r in people() for p in r["phones"]}
    items = EventFeed(people(), indicators(), seed=6, unknown_ratio=0.05).take(10_000)
    unknown = [i for i in items if i["subject_phone"] not in phones]
    assert 0.03 < len(unknown) / len(items) < 0.07


def test_feed_hits_the_same_person_again_so_that_warnings_merge() -> None:
    feed = EventFeed(people(), indicators(), seed=7, hit_ratio=0.05)
    items = feed.take(10_000)
    targets = Counter(i["subject_phone"] for i in items if i["id"] in feed.hits)
    assert sum(n for n in targets.values() if n > 1) > len(feed.hits) / 4


def test_feed_times_advance_and_real_time_can_be_stamped() -> None:
    feed = EventFeed(people(), indicators(), seed=8)
    first, second = feed.take(2)
    assert EventIn.model_validate(first).at < EventIn.model_validate(second).at
    stamped = feed.event(at=datetime(2026, 1, 1, tzinfo=UTC))
    assert EventIn.model_validate(stamped).at == datetime(2026, 1, 1, tzinfo=UTC)


def test_the_same_seed_gives_the_same_feed() -> None:
    a = EventFeed(people(), indicators(), seed=9, hit_ratio=0.02).take(2000)
    b = EventFeed(people(), indicators(), seed=9, hit_ratio=0.02).take(2000)
    c = EventFeed(people(), indicators(), seed=10, hit_ratio=0.02).take(2000)
    assert a == b
    assert a != c


def test_young_children_hold_no_phone_and_fraud_targets_are_mostly_adults() -> None:
    from statistics import mean

    from pingan.demo.county import generate_county
    from pingan.demo.population import REFERENCE_YEAR, EventFeed, generate_indicators, generate_people

    rng = random.Random(11)
    people = generate_people(5000, generate_county(7), rng)
    young = [p for p in people if REFERENCE_YEAR - p["birth_year"] < 10]
    assert young
    assert sum(bool(p["phones"]) for p in young) / len(young) < 0.05
    feed = EventFeed(people, generate_indicators(300, rng), seed=3, hit_ratio=1.0, repeat_ratio=0.0, unknown_ratio=0.0)
    owners = {phone: p for p in people for phone in p["phones"]}
    ages = [REFERENCE_YEAR - owners[e["subject_phone"]]["birth_year"] for e in feed.take(2000)]
    assert 32 <= mean(ages) <= 42, mean(ages)
    assert sum(a < 12 for a in ages) / len(ages) < 0.01
