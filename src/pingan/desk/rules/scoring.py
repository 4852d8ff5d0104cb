"""The desk's comparable figures per officer and per unit (pure): 答复及时率, satisfaction, a score."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pingan.desk.rules.county import DeskScoreWeights

SATISFIED_FROM = 4
"""A rating of 4 or 5 (out of 5) counts as satisfied (满意)."""


@dataclass(frozen=True, slots=True)
class Tally:
    total: int = 0
    replied: int = 0
    on_time: int = 0
    late_unreplied: int = 0
    """Still without a first reply after its deadline."""
    resolved: int = 0
    ratings: int = 0
    rating_sum: int = 0
    satisfied: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(*(a + b for a, b in zip(_fields(self), _fields(other), strict=True)))


def _fields(t: Tally) -> tuple[int, ...]:
    return (t.total, t.replied, t.on_time, t.late_unreplied, t.resolved, t.ratings, t.rating_sum, t.satisfied)


def total_of(tallies: Iterable[Tally]) -> Tally:
    out = Tally()
    for t in tallies:
        out = out + t
    return out


def timeliness(t: Tally) -> float | None:
    """On-time first replies over the requests that were due (replied, or unreplied past their deadline)."""
    due = t.replied + t.late_unreplied
    return t.on_time / due if due else None


def mean_rating(t: Tally) -> float | None:
    return t.rating_sum / t.ratings if t.ratings else None


def satisfaction_rate(t: Tally) -> float | None:
    return t.satisfied / t.ratings if t.ratings else None


def resolution_rate(t: Tally) -> float | None:
    return t.resolved / t.total if t.total else None


def score(t: Tally, weights: DeskScoreWeights, prior_mean: float | None) -> float | None:
    """0-100: weighted timeliness, satisfaction (mean rating on 1-5, pulled toward `prior_mean` by
    `weights.prior_ratings` pseudo-ratings) and resolution. Parts without data are left out and the
    remaining weights rescaled; None when nothing was handled."""
    if t.total == 0:
        return None
    parts: list[tuple[float, float]] = []
    tl = timeliness(t)
    if tl is not None:
        parts.append((weights.timeliness, tl))
    prior = prior_mean if prior_mean is not None else 4.0
    k = weights.prior_ratings
    if t.ratings or k:
        smoothed = (t.rating_sum + k * prior) / (t.ratings + k)
        parts.append((weights.satisfaction, (smoothed - 1.0) / 4.0))
    rr = resolution_rate(t)
    if rr is not None:
        parts.append((weights.resolution, rr))
    total_weight = sum(w for w, _ in parts)
    if total_weight <= 0:
        return None
    return round(100.0 * sum(w * v for w, v in parts) / total_weight, 1)


def rounded(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)
