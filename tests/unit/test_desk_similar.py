"""Duplicate detection (pure): text similarity, nearness, and what "posted twice" and "one address" mean."""

from __future__ import annotations

from datetime import UTC, datetime

from pingan.core.geo import distance_m
from pingan.desk.rules.similar import Candidate, address_key, bbox, best_duplicate, content_hash, similarity

AT = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
LON, LAT = 121.87, 29.46
M_PER_DEG = 111_195.0


def north(metres: float) -> tuple[float, float]:
    return LON, LAT + metres / M_PER_DEG


def candidate(id: int, text: str, metres: float = 0.0, akey: str | None = None) -> Candidate:
    lon, lat = north(metres)
    return Candidate(id, text, lon, lat, akey, AT)


def test_the_same_complaint_in_other_words_is_similar_and_another_matter_is_not() -> None:
    assert similarity("楼下的狗每天晚上一直叫", "我家楼下的狗每天晚上一直叫，吵得睡不着") > 0.5
    assert similarity("楼上装修噪音太大", "楼上装修噪音很大，中午也不停") > 0.4
    assert similarity("楼上装修噪音太大", "路口的红绿灯坏了") == 0.0
    assert similarity("", "anything") == 0.0


def test_similarity_ignores_width_case_spaces_and_punctuation() -> None:
    assert similarity("ＡＢＣ１２３ 停车！", "abc123停车") == 1.0
    assert content_hash("nuisance", "狗 叫！！") == content_hash("nuisance", "狗叫")
    assert content_hash("nuisance", "狗叫") != content_hash("dispute", "狗叫")


def test_a_similar_open_request_within_250_m_is_the_duplicate() -> None:
    found = best_duplicate(
        "楼下的狗每天晚上一直叫",
        LON,
        LAT,
        None,
        [candidate(1, "楼下的狗每天晚上一直叫个不停", 240.0)],
        radius_m=250,
        min_similarity=0.3,
    )
    assert found is not None
    assert found.id == 1
    assert found.distance_m is not None
    assert 235 < found.distance_m < 245


def test_one_just_beyond_250_m_is_not() -> None:
    found = best_duplicate(
        "楼下的狗每天晚上一直叫",
        LON,
        LAT,
        None,
        [candidate(1, "楼下的狗每天晚上一直叫", 260.0)],
        radius_m=250,
        min_similarity=0.3,
    )
    assert found is None


def test_the_most_similar_wins_and_ties_go_to_the_older() -> None:
    cands = [candidate(5, "狗叫"), candidate(3, "楼下的狗每天晚上一直叫"), candidate(4, "楼下的狗每天晚上一直叫")]
    found = best_duplicate("楼下的狗每天晚上一直叫", LON, LAT, None, cands, radius_m=250, min_similarity=0.3)
    assert found is not None
    assert found.id == 3


def test_without_a_location_the_same_address_stands_for_the_place() -> None:
    key = address_key("丹东街道丹河社区3幢", None, None)
    assert key == address_key("丹东街道 丹河社区 3 幢", None, None)
    near = Candidate(1, "楼道里电动车充电", None, None, key, AT)
    elsewhere = Candidate(2, "楼道里电动车充电", None, None, address_key("别处", None, None), AT)
    found = best_duplicate(
        "楼道里电动车充电很危险", None, None, key, [elsewhere, near], radius_m=250, min_similarity=0.3
    )
    assert found is not None
    assert found.id == 1


def test_an_address_key_falls_back_to_a_small_grid_cell() -> None:
    assert address_key(None, 121.870001, 29.46) == address_key("", 121.870004, 29.46)
    assert address_key(None, 121.87, 29.46) != address_key(None, 121.8702, 29.46)
    assert address_key(None, None, None) is None


def test_the_search_box_holds_the_whole_circle() -> None:
    min_lon, min_lat, max_lon, max_lat = bbox(LON, LAT, 250)
    for lon, lat in ((min_lon, LAT), (max_lon, LAT), (LON, min_lat), (LON, max_lat)):
        assert distance_m(LON, LAT, lon, lat) >= 250
