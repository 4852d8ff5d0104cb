"""Routing by place and kind (pure): rules in order, targets resolved through a directory of plain dicts."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from pingan.bootstrap import load_rules
from pingan.desk.directory import default_rules
from pingan.desk.rules.county import DeskRules
from pingan.desk.rules.kinds import Category, Route, Specialty, Topic
from pingan.desk.rules.routing import Decision, Place, RouteRule, RuleError, check_rule, choose, ordered, resolve

STATION, OTHER_STATION, COMMUNITY = 10, 20, 11
STATION_UNIT, CENTRE, EXIT_ENTRY_UNIT = 100, 900, 500
TOWN_GOV, COMMUNITY_GOV, COUNTY_GOV = 300, 301, 302
OFFICER = 7


@dataclass
class Directory:
    officers: dict[int, tuple[int, int | None]] = field(default_factory=lambda: {COMMUNITY: (OFFICER, STATION_UNIT)})
    stations: dict[int, int] = field(default_factory=lambda: {STATION: STATION_UNIT, OTHER_STATION: 200})
    centre: int | None = CENTRE
    specialties: dict[Specialty, int] = field(default_factory=lambda: {Specialty.EXIT_ENTRY: EXIT_ENTRY_UNIT})
    governance: dict[int | None, int] = field(
        default_factory=lambda: {STATION: TOWN_GOV, COMMUNITY: COMMUNITY_GOV, None: COUNTY_GOV}
    )

    def officer_for(self, place: Place) -> tuple[int, int | None] | None:
        for area in (place.community_id, place.station_id):
            if area in self.officers:
                return self.officers[area]
        return None

    def station_unit(self, station_id: int | None) -> int | None:
        return self.stations.get(station_id) if station_id is not None else None

    def command_centre(self) -> int | None:
        return self.centre

    def specialty_unit(self, specialty: Specialty) -> int | None:
        return self.specialties.get(specialty)

    def governance_unit(self, place: Place) -> int | None:
        for area in (place.community_id, place.station_id):
            if area is not None and area in self.governance:
                return self.governance[area]
        return self.governance.get(None)

    def unit_exists(self, unit_id: int) -> bool:
        return unit_id in {STATION_UNIT, 200, CENTRE, EXIT_ENTRY_UNIT, TOWN_GOV, COMMUNITY_GOV, COUNTY_GOV}


DEFAULTS = default_rules(load_rules().section(DeskRules))
HOME = Place(STATION, COMMUNITY)


def route(
    category: Category,
    topic: Topic | None = None,
    place: Place = HOME,
    rules: list[RouteRule] | None = None,
    directory: Directory | None = None,
) -> Decision:
    ordered_rules = ordered(rules or [], DEFAULTS)
    return resolve(choose(ordered_rules, category, topic, place), category, place, directory or Directory())


def test_a_question_goes_to_the_community_officer() -> None:
    decision = route(Category.CONSULTATION, Topic.HOUSEHOLD)
    assert (decision.route, decision.unit_id, decision.assignee_id) == (Route.OFFICER, STATION_UNIT, OFFICER)


def test_without_a_community_officer_the_station_answers() -> None:
    decision = route(Category.HAZARD, directory=Directory(officers={}))
    assert (decision.route, decision.unit_id, decision.assignee_id) == (Route.STATION, STATION_UNIT, None)
    assert "未配置社区民警" in decision.explanation


def test_a_place_outside_every_station_goes_to_the_command_centre() -> None:
    decision = route(Category.HAZARD, place=Place(None, None), directory=Directory(officers={}))
    assert (decision.route, decision.unit_id) == (Route.TRIAGE, CENTRE)


def test_a_specialty_question_goes_through_the_command_centres_triage() -> None:
    decision = route(Category.CONSULTATION, Topic.EXIT_ENTRY)
    assert (decision.route, decision.unit_id, decision.suggested_unit_id) == (Route.TRIAGE, CENTRE, EXIT_ENTRY_UNIT)


def test_a_direct_specialty_rule_skips_the_triage() -> None:
    direct = RouteRule(
        Route.SPECIALTY, Category.CONSULTATION, Topic.EXIT_ENTRY, specialty=Specialty.EXIT_ENTRY, triage=False, id=1
    )
    decision = route(Category.CONSULTATION, Topic.EXIT_ENTRY, rules=[direct])
    assert (decision.route, decision.unit_id, decision.rule_id) == (Route.SPECIALTY, EXIT_ENTRY_UNIT, 1)


def test_a_specialty_without_its_unit_is_left_to_the_triage() -> None:
    decision = route(Category.CONSULTATION, Topic.LEGAL)
    assert (decision.route, decision.unit_id, decision.suggested_unit_id) == (Route.TRIAGE, CENTRE, None)
    assert "未配置该警种单位" in decision.explanation


def test_noise_is_diverted_to_the_most_local_governance_department() -> None:
    assert route(Category.NUISANCE, Topic.NOISE).unit_id == COMMUNITY_GOV
    assert route(Category.NUISANCE, Topic.DOG, place=Place(STATION, None)).unit_id == TOWN_GOV
    assert route(Category.DISPUTE, place=Place(OTHER_STATION, None)).unit_id == COUNTY_GOV
    decision = route(Category.DISPUTE, directory=Directory(governance={}))
    assert (decision.route, decision.unit_id) == (Route.TRIAGE, CENTRE)


def test_an_emergency_always_goes_to_the_station_whatever_the_rules() -> None:
    divert_all = RouteRule(Route.GOVERNANCE, unit_id=COUNTY_GOV, priority=0, id=9)
    decision = route(Category.EMERGENCY, rules=[divert_all])
    assert (decision.route, decision.unit_id, decision.rule_id) == (Route.STATION, STATION_UNIT, None)


def test_admin_rules_come_before_the_county_defaults_by_priority_then_specificity() -> None:
    anywhere = RouteRule(Route.STATION, Category.NUISANCE, priority=50, id=1)
    here = RouteRule(Route.UNIT, Category.NUISANCE, area_id=COMMUNITY, unit_id=TOWN_GOV, priority=50, id=2)
    later = RouteRule(Route.TRIAGE, Category.NUISANCE, priority=60, id=3)
    assert route(Category.NUISANCE, rules=[later, anywhere, here]).rule_id == 2
    assert route(Category.NUISANCE, place=Place(OTHER_STATION, None), rules=[later, anywhere, here]).rule_id == 1
    assert route(Category.NUISANCE, rules=[later]).rule_id == 3


def test_a_rule_naming_a_missing_unit_falls_back_to_triage() -> None:
    gone = RouteRule(Route.UNIT, Category.HAZARD, unit_id=12345, id=4)
    decision = route(Category.HAZARD, rules=[gone])
    assert (decision.route, decision.unit_id) == (Route.TRIAGE, CENTRE)


def test_without_a_command_centre_triage_falls_back_to_the_officer() -> None:
    decision = route(Category.CONSULTATION, Topic.EXIT_ENTRY, directory=Directory(centre=None))
    assert (decision.route, decision.assignee_id) == (Route.OFFICER, OFFICER)


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        (RouteRule(Route.GOVERNANCE, Category.EMERGENCY), "category"),
        (RouteRule(Route.UNIT, Category.HAZARD), "unit_id"),
        (RouteRule(Route.SPECIALTY, Category.CONSULTATION), "specialty"),
        (RouteRule(Route.OFFICER, Category.HAZARD, unit_id=STATION_UNIT), "unit_id"),
    ],
)
def test_rules_that_cannot_route_are_refused_naming_the_field(rule: RouteRule, field: str) -> None:
    with pytest.raises(RuleError) as caught:
        check_rule(rule)
    assert caught.value.field == field


def test_the_defaults_route_every_category() -> None:
    for category in Category:
        assert route(category).unit_id is not None, category
    assert DeskRules().routes == []  # the model alone has no routes: they come from the county file


def _full_directory() -> Directory:
    return Directory(specialties={s: 600 + i for i, s in enumerate(Specialty)})


def test_every_kind_of_request_the_demo_posts_routes_the_same_way_every_time() -> None:
    from pingan.demo.desk_sim import _WEIGHTS

    for (category, topic), _weight in _WEIGHTS:
        first = route(category, topic, directory=_full_directory())
        for _ in range(5):
            assert route(category, topic, directory=_full_directory()) == first, (category, topic)


def test_the_demos_requests_reach_every_routing_target() -> None:
    from pingan.demo.desk_sim import _WEIGHTS

    directory = _full_directory()
    uncovered = Place(STATION, 12)  # a community of the town without a 平安前哨 station of its own
    reached: set[tuple[Route, int | None]] = set()
    for (category, topic), _weight in _WEIGHTS:
        for place in (HOME, uncovered):
            decision = route(category, topic, place=place, directory=directory)
            reached.add((decision.route, decision.suggested_unit_id or decision.unit_id))
    specialties = {(Route.TRIAGE, directory.specialties[s]) for s in Specialty}
    assert specialties <= reached, "every specialty (治安、法制、交警、出入境) gets requests through the 情指中心"
    assert {(Route.GOVERNANCE, COMMUNITY_GOV), (Route.GOVERNANCE, TOWN_GOV)} <= reached
    assert (Route.OFFICER, STATION_UNIT) in reached
    assert (Route.STATION, STATION_UNIT) in reached
