"""An address finds its place by the names of the county's areas: the town it names wins."""

from __future__ import annotations

import time
from typing import Any, cast

import pytest
from sqlalchemy.orm import Session

from pingan.core.areas import Jurisdictions
from pingan.core.models import AreaKind
from pingan.desk.places import Places
from pingan.desk.rules.routing import Place

DANDONG, XINQIAO, DANXI = 1, 2, 3
XINQIAO_DONGMEN, DANDONG_DANHE, DANXI_DONGMEN_VILLAGE = 10, 11, 12


@pytest.fixture
def places() -> Places:
    found = Places(cast(Jurisdictions, None), names_ttl=3600)
    rows: list[tuple[str, int, AreaKind, int | None, str]] = [
        ("丹东街道", DANDONG, AreaKind.STATION, None, "丹东街道"),
        ("新桥镇", XINQIAO, AreaKind.STATION, None, "新桥镇"),
        ("丹西街道", DANXI, AreaKind.STATION, None, "丹西街道"),
        ("东门社区", XINQIAO_DONGMEN, AreaKind.COMMUNITY, XINQIAO, "东门社区"),
        ("丹河社区", DANDONG_DANHE, AreaKind.COMMUNITY, DANDONG, "丹河社区"),
        ("东门村", DANXI_DONGMEN_VILLAGE, AreaKind.COMMUNITY, DANXI, "东门村"),
    ]
    found._names = sorted(rows, key=lambda r: -len(r[0]))  # what the database would give, longest first
    found._loaded = time.monotonic()
    return found


def _at(places: Places, address: str) -> Place | None:
    return places.address(cast(Session, cast(Any, None)), address)


def test_the_town_named_wins_over_a_community_of_that_name_elsewhere(places: Places) -> None:
    # The placeholder's own example: 丹东 has no 东门社区, so it is 丹东街道, not 新桥镇's 东门社区.
    assert _at(places, "丹东街道东门社区中街12号") == Place(DANDONG, None)


def test_a_community_within_the_named_town_is_found(places: Places) -> None:
    assert _at(places, "象山县丹东街道丹河社区建设路3号") == Place(DANDONG, DANDONG_DANHE)
    assert _at(places, "新桥镇东门社区中街12号") == Place(XINQIAO, XINQIAO_DONGMEN)


def test_a_town_written_without_its_suffix_at_the_head_counts(places: Places) -> None:
    assert _at(places, "象山县丹东东门社区") == Place(DANDONG, None)
    assert _at(places, "丹西东门村5号") == Place(DANXI, DANXI_DONGMEN_VILLAGE)


def test_without_a_town_the_community_decides(places: Places) -> None:
    assert _at(places, "丹河社区建设路3号") == Place(DANDONG, DANDONG_DANHE)


def test_the_first_town_written_is_the_one(places: Places) -> None:
    assert _at(places, "新桥镇东门社区（靠近丹东街道）") == Place(XINQIAO, XINQIAO_DONGMEN)


def test_an_address_naming_no_area_finds_nothing(places: Places) -> None:
    assert _at(places, "人民路1号") is None
