"""Year-on-year (同比): the same period one year earlier, for the command centre's figures."""

from __future__ import annotations

from datetime import datetime


def year_earlier(at: datetime) -> datetime:
    """The same instant one calendar year before; 29 February becomes 28 February."""
    try:
        return at.replace(year=at.year - 1)
    except ValueError:  # 29 February
        return at.replace(year=at.year - 1, day=28)


def change(now: int, before: int) -> float | None:
    """The relative change from `before` to `now` (0.25 is +25 %); None when there was nothing before."""
    return None if before == 0 else round((now - before) / before, 4)
