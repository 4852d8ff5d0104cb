"""The arithmetic of a ranking, apart from the database so that it can be read and tested alone.

Each indicator's raw values are turned into points from 0 to 100 by the board's normalisation, each unit's
score is the weighted mean of its points, and positions are competition ranking: equal scores share a
position and the next one skips (1, 2, 2, 4).

- `minmax`: the best value gets 100, the worst 0, the others in proportion; when every unit has the same
  value, all get 100 (nobody is behind).
- `rank`: points by position among the units that have a value: the first 100, the last 0, ties sharing
  the better position's points; a single unit gets 100.

A unit without a value for an indicator (nothing to count: no desk request in the month) gets the points
the board's `missing` says: `mean` (the mean of the others' points, neither rewarded nor punished) or
`zero`. When no unit has a value the indicator gives nobody any points and its weight is left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum


class Direction(StrEnum):
    HIGHER = "higher"  # 越高越好
    LOWER = "lower"  # 越低越好


class Normalisation(StrEnum):
    MINMAX = "minmax"
    RANK = "rank"


class Missing(StrEnum):
    MEAN = "mean"
    ZERO = "zero"


SCORE_DIGITS = 2
"""Scores are compared as shown (two decimals), so that two units the table shows equal share a position."""


def competition_positions(scores: Mapping[int, float]) -> dict[int, int]:
    """Positions by score, higher first; equal scores share the better position and the next skips (1,2,2,4)."""
    ordered = sorted(scores.values(), reverse=True)
    first: dict[float, int] = {}
    for i, value in enumerate(ordered):
        first.setdefault(value, i + 1)
    return {unit: first[value] for unit, value in scores.items()}


def points(
    values: Mapping[int, float | None],
    direction: Direction,
    normalisation: Normalisation,
) -> dict[int, float | None]:
    """0–100 points per unit for one indicator; None for a unit without a value."""
    present = {u: v for u, v in values.items() if v is not None}
    out: dict[int, float | None] = dict.fromkeys(values)
    if not present:
        return out
    sign = 1.0 if direction is Direction.HIGHER else -1.0
    if normalisation is Normalisation.MINMAX:
        lo, hi = min(present.values()), max(present.values())
        for u, v in present.items():
            if hi == lo:
                out[u] = 100.0
            else:
                share = (v - lo) / (hi - lo)
                out[u] = 100.0 * (share if sign > 0 else 1.0 - share)
        return out
    positions = competition_positions({u: sign * v for u, v in present.items()})
    n = len(present)
    for u, pos in positions.items():
        out[u] = 100.0 if n == 1 else 100.0 * (n - pos) / (n - 1)
    return out


@dataclass(frozen=True, slots=True)
class Weighted:
    points: dict[int, float | None]
    """As normalised: None where the unit had no value."""
    filled: dict[int, float]
    """As scored: a missing value filled by the board's `missing` rule."""
    used: bool
    """False when no unit had a value: the indicator's weight is left out of every score."""


def fill_missing(raw_points: Mapping[int, float | None], missing: Missing) -> Weighted:
    present = [p for p in raw_points.values() if p is not None]
    if not present:
        return Weighted(dict(raw_points), dict.fromkeys(raw_points, 0.0), False)
    fill = sum(present) / len(present) if missing is Missing.MEAN else 0.0
    return Weighted(dict(raw_points), {u: (fill if p is None else p) for u, p in raw_points.items()}, True)


def scores(columns: Sequence[tuple[float, Weighted]], units: Sequence[int]) -> dict[int, float]:
    """Each unit's weighted mean of points over the indicators in use, rounded to `SCORE_DIGITS`."""
    total = sum(weight for weight, column in columns if column.used)
    out: dict[int, float] = {}
    for unit in units:
        if total <= 0:
            out[unit] = 0.0
            continue
        value = sum(weight * column.filled[unit] for weight, column in columns if column.used) / total
        out[unit] = round(value, SCORE_DIGITS)
    return out
