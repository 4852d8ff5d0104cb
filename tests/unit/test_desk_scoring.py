"""The comparable figures: 答复及时率, satisfaction pulled toward the county mean, and the score."""

from __future__ import annotations

from pingan.desk.rules.county import DeskScoreWeights
from pingan.desk.rules.scoring import Tally, mean_rating, satisfaction_rate, score, timeliness, total_of

W = DeskScoreWeights()


def test_timeliness_counts_late_unanswered_requests_against_the_unit() -> None:
    t = Tally(total=10, replied=8, on_time=6, late_unreplied=2)
    assert timeliness(t) == 0.6
    assert timeliness(Tally(total=3)) is None


def test_satisfaction_is_the_share_of_4_and_5_star_ratings() -> None:
    t = Tally(total=4, ratings=4, rating_sum=15, satisfied=3)
    assert (mean_rating(t), satisfaction_rate(t)) == (3.75, 0.75)


def test_two_perfect_ratings_do_not_outrank_two_hundred_good_ones() -> None:
    few = Tally(total=2, replied=2, on_time=2, resolved=2, ratings=2, rating_sum=10, satisfied=2)
    many = Tally(total=200, replied=200, on_time=200, resolved=200, ratings=200, rating_sum=960, satisfied=190)
    prior = 3.5
    few_score, many_score = score(few, W, prior), score(many, W, prior)
    assert few_score is not None
    assert many_score is not None
    assert many_score > few_score


def test_a_unit_with_nothing_to_do_has_no_score_and_parts_without_data_are_left_out() -> None:
    assert score(Tally(), W, 4.0) is None
    fast = Tally(total=1, replied=1, on_time=1, resolved=1)
    assert score(fast, DeskScoreWeights(prior_ratings=0), None) == 100.0


def test_tallies_add_up() -> None:
    a, b = Tally(1, 1, 1, 0, 1, 1, 5, 1), Tally(2, 1, 0, 1, 0, 0, 0, 0)
    assert total_of([a, b]) == Tally(3, 2, 1, 1, 1, 1, 5, 1)
