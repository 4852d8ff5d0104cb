"""The [ranking] rules refuse what cannot be ranked, and a board naming an unknown indicator stops the start."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from pingan.bootstrap import load_rules, ranking_service
from pingan.command.ranking.rules import RankingRules
from pingan.core.clock import FakeClock


def _load(tmp_path: Path, text: str) -> RankingRules:
    path = tmp_path / "county.toml"
    path.write_text(text, encoding="utf-8")
    return load_rules(path).section(RankingRules)


def test_the_defaults_rank_stations_on_six_businesses_and_departments() -> None:
    rules = load_rules().section(RankingRules)
    assert len(rules.boards["stations"].indicators) == 6
    assert "departments" in rules.boards
    assert {o.kind for o in rules.outcome_indicators} == {"hidden_danger", "dispute"}


def test_a_county_reweights_a_board_and_groups_districts(tmp_path: Path) -> None:
    rules = _load(
        tmp_path,
        '[ranking]\ndistricts = [{ name = "东", units = ["station-a"] }]\n'
        '[ranking.boards.stations]\nindicators = [{ name = "dissuaded", weight = 1 }]\nnormalisation = "rank"\n',
    )
    assert [i.name for i in rules.boards["stations"].indicators] == ["dissuaded"]
    assert rules.boards["stations"].normalisation == "rank"
    assert rules.boards["stations"].label == "派出所"  # the keys it leaves out keep their defaults
    assert rules.districts[0].units == ["station-a"]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('[ranking]\ndistricts = [{ name = "东", units = ["x"] }, { name = "西", units = ["x"] }]\n', "two districts"),
        ('[ranking.boards.stations]\nindicators = [{ name = "dissuaded", weight = 0 }]\n', "must not all be 0"),
        ('[ranking.boards.stations]\nindicators = [{ name = "dissuaded", weight = -1 }]\n', "greater than or equal"),
        ('[ranking.boards.stations]\nindicators = [{ name = "a", weight = 1 }, { name = "a", weight = 2 }]\n', "twice"),
        ('[ranking.boards.stations]\nnormalisation = "zscore"\n', "ranking.boards.stations.normalisation"),
        (
            '[ranking.boards.x]\nlabel = "X"\nindicators = [{ name = "dissuaded", weight = 1 }]\n',
            "unit_kinds or unit_codes",
        ),
        ('[ranking]\ndistrict_board = "nope"\ndistricts = [{ name = "东", units = ["x"] }]\n', "is not a board"),
    ],
)
def test_a_bad_ranking_setting_is_refused_saying_why(tmp_path: Path, text: str, says: str) -> None:
    with pytest.raises(ValidationError) as exc:
        _load(tmp_path, text)
    assert says in str(exc.value)


def test_a_board_naming_an_unknown_indicator_stops_the_start(tmp_path: Path) -> None:
    path = tmp_path / "county.toml"
    path.write_text('[ranking.boards.stations]\nindicators = [{ name = "dissuadd", weight = 1 }]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="unknown indicator 'dissuadd'"):
        ranking_service(load_rules(path), FakeClock())
