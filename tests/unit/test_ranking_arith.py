"""The ranking's arithmetic: normalisation, weights, competition positions with ties, missing values."""

from __future__ import annotations

import pytest

from pingan.command.ranking.arith import (
    Direction,
    Missing,
    Normalisation,
    competition_positions,
    fill_missing,
    points,
    scores,
)


def test_equal_scores_share_a_position_and_the_next_one_skips() -> None:
    assert competition_positions({1: 90.0, 2: 80.0, 3: 80.0, 4: 70.0}) == {1: 1, 2: 2, 3: 2, 4: 4}


def test_a_tie_at_the_top_shares_first_place() -> None:
    assert competition_positions({1: 50.0, 2: 50.0, 3: 10.0}) == {1: 1, 2: 1, 3: 3}


def test_a_single_unit_is_first() -> None:
    assert competition_positions({7: 0.0}) == {7: 1}
    assert points({7: 3.0}, Direction.HIGHER, Normalisation.MINMAX) == {7: 100.0}
    assert points({7: 3.0}, Direction.HIGHER, Normalisation.RANK) == {7: 100.0}


def test_all_equal_values_give_everyone_full_points_and_the_same_position() -> None:
    for norm in Normalisation:
        got = points({1: 0.8, 2: 0.8, 3: 0.8}, Direction.HIGHER, norm)
        assert got == {1: 100.0, 2: 100.0, 3: 100.0}
    column = fill_missing({1: 100.0, 2: 100.0, 3: 100.0}, Missing.MEAN)
    s = scores([(1.0, column)], [1, 2, 3])
    assert competition_positions(s) == {1: 1, 2: 1, 3: 1}


def test_minmax_puts_the_best_at_100_the_worst_at_0_and_the_rest_in_proportion() -> None:
    assert points({1: 10.0, 2: 20.0, 3: 15.0}, Direction.HIGHER, Normalisation.MINMAX) == {1: 0.0, 2: 100.0, 3: 50.0}


def test_lower_is_better_reverses_the_points() -> None:
    assert points({1: 10.0, 2: 20.0, 3: 15.0}, Direction.LOWER, Normalisation.MINMAX) == {1: 100.0, 2: 0.0, 3: 50.0}
    assert points({1: 10.0, 2: 20.0, 3: 15.0}, Direction.LOWER, Normalisation.RANK) == {1: 100.0, 2: 0.0, 3: 50.0}


def test_rank_points_give_tied_units_the_better_positions_points() -> None:
    got = points({1: 5.0, 2: 9.0, 3: 9.0, 4: 1.0, 5: 3.0}, Direction.HIGHER, Normalisation.RANK)
    # positions 3,1,1,5,4 of five: (5-pos)/4
    assert got == {1: 50.0, 2: 100.0, 3: 100.0, 4: 0.0, 5: 25.0}


def test_a_missing_value_gets_no_points_but_the_mean_of_the_others_when_scored() -> None:
    raw = points({1: 10.0, 2: 20.0, 3: None}, Direction.HIGHER, Normalisation.MINMAX)
    assert raw == {1: 0.0, 2: 100.0, 3: None}
    assert fill_missing(raw, Missing.MEAN).filled == {1: 0.0, 2: 100.0, 3: 50.0}
    assert fill_missing(raw, Missing.ZERO).filled == {1: 0.0, 2: 100.0, 3: 0.0}


def test_an_indicator_nobody_has_is_left_out_and_the_others_weights_carry_the_score() -> None:
    a = fill_missing(points({1: 1.0, 2: 3.0}, Direction.HIGHER, Normalisation.MINMAX), Missing.MEAN)
    nobody = fill_missing(points({1: None, 2: None}, Direction.HIGHER, Normalisation.MINMAX), Missing.MEAN)
    assert not nobody.used
    assert scores([(30.0, a), (70.0, nobody)], [1, 2]) == {1: 0.0, 2: 100.0}


def test_the_score_is_the_weighted_mean_of_points() -> None:
    a = fill_missing({1: 100.0, 2: 0.0}, Missing.MEAN)
    b = fill_missing({1: 0.0, 2: 100.0}, Missing.MEAN)
    assert scores([(3.0, a), (1.0, b)], [1, 2]) == {1: 75.0, 2: 25.0}


def test_scores_equal_as_shown_share_a_position() -> None:
    a = fill_missing({1: 100.0, 2: 0.0, 3: 100.0 / 3}, Missing.MEAN)
    b = fill_missing({1: 0.0, 2: 100.0, 3: 200.0 / 3}, Missing.MEAN)
    s = scores([(1.0, a), (1.0, b)], [1, 2, 3])
    assert s == {1: 50.0, 2: 50.0, 3: 50.0}
    assert set(competition_positions(s).values()) == {1}


@pytest.mark.parametrize("norm", list(Normalisation))
def test_no_unit_at_all_gives_an_empty_ranking(norm: Normalisation) -> None:
    assert points({}, Direction.HIGHER, norm) == {}
    assert scores([], []) == {}
    assert competition_positions({}) == {}
