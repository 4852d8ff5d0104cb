"""The demo's 地网 county: about 94 % of the generated villages have a base station (the report's county), the
most remote ones none; the stolen bike's ride and the wanderer's walk go station to nearest station at paces
the impossible-jump rule accepts."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from pingan.demo.county import generate_communities, generate_county
from pingan.demo.tracking_sim import (
    COVERAGE,
    GAP_S,
    RADIUS_M,
    RIDE_KMH,
    WALK_KMH,
    route,
    travel_s,
    uncovered_villages,
)
from pingan.tracking.logic import impossible


def _villages(seed: int = 7) -> dict[str, tuple[float, float]]:
    """The demo county's villages as `pingan demo` generates them (same seed, same draws)."""
    rng = random.Random(seed)
    taken: set[str] = set()
    points: dict[str, tuple[float, float]] = {}
    for station in generate_county(seed):
        for c in generate_communities(station, rng.randint(3, 6), rng, taken=taken):
            p = c.geometry.representative_point()
            points[c.name] = (p.x, p.y)
    return points


def test_about_94_percent_of_the_demo_countys_villages_have_a_station_and_the_remote_ones_do_not() -> None:
    villages = _villages()
    missing = uncovered_villages(villages)
    rate = (len(villages) - len(missing)) / len(villages)
    assert missing
    assert 0.93 <= rate <= 0.95, (len(villages), len(missing))
    assert round(rate, 2) == COVERAGE

    def remoteness(v: str) -> float:
        from pingan.core.geo import distance_m

        return min(distance_m(*villages[v], *q) for w, q in villages.items() if w != v)

    # Each village left out is further from its neighbours than every village kept.
    assert min(remoteness(v) for v in missing) >= max(remoteness(v) for v in villages if v not in missing)


def test_a_tiny_county_keeps_every_village_covered() -> None:
    assert uncovered_villages({"甲村": (121.0, 29.0), "乙村": (121.01, 29.0)}) == set()
    assert uncovered_villages({"甲村": (121.0, 29.0)}) == set()


def test_the_ride_goes_to_the_nearest_stations_in_turn_at_a_speed_the_card_allows() -> None:
    points = {"A": (121.0, 29.0), "B": (121.02, 29.0), "C": (121.05, 29.0), "D": (121.021, 29.0)}
    assert route(points, "A", 3) == ["B", "D", "C"]
    assert route({"A": (121.0, 29.0)}, "A", 2) == []
    t0 = datetime(2026, 12, 1, tzinfo=UTC)
    villages = _villages()
    start = sorted(villages)[0]
    here = start
    at = t0
    for code in route(villages, start, 4):
        ride = travel_s(villages[here], villages[code], RIDE_KMH, 2 * RADIUS_M)
        nxt = at + timedelta(seconds=ride)
        a, b = (*villages[here], at), (*villages[code], nxt)
        assert not impossible(a, b, 120.0, 2 * RADIUS_M), (here, code, ride)
        walk = travel_s(villages[here], villages[code], WALK_KMH, 2 * RADIUS_M)
        assert not impossible(a, (*villages[code], at + timedelta(seconds=walk)), 30.0, 2 * RADIUS_M)
        here, at = code, nxt


def test_two_sightings_of_a_story_are_never_closer_than_the_overlap_window() -> None:
    same = (121.0, 29.0)
    assert travel_s(same, same, RIDE_KMH, 2 * RADIUS_M) == GAP_S > 10
