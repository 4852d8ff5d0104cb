"""Year-on-year (同比): the same period one year earlier, for the command centre's figures."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)


def year_earlier(at: datetime) -> datetime:
    """The same instant one calendar year before; 29 February becomes 28 February."""
    try:
        return at.replace(year=at.year - 1)
    except ValueError:  # 29 February
        return at.replace(year=at.year - 1, day=28)


def change(now: int, before: int) -> float | None:
    """The relative change from `before` to `now` (0.25 is +25 %); None when there was nothing before."""
    return None if before == 0 else round((now - before) / before, 4)


@dataclass(frozen=True)
class YearOnYear(Generic[K]):
    """Counts by key (a kind, a category, an area) in a period and in the same period a year earlier."""

    now: Mapping[K, int]
    year_ago: Mapping[K, int]

    def of(self, key: K) -> tuple[int, int]:
        """The key's count now and a year ago (0 where it had none)."""
        return self.now.get(key, 0), self.year_ago.get(key, 0)

    def keys(self) -> list[K]:
        """Every key of either period, None last."""
        return sorted({*self.now, *self.year_ago}, key=lambda k: (k is None, str(k)))

    def fields(self, name: str, key: K) -> dict[str, Any]:
        """`{name: now, name_year_ago: then, name_change: change}` for one key."""
        return _fields(name, *self.of(key))

    def total(self, name: str) -> dict[str, Any]:
        """The same fields for every key together."""
        return _fields(name, sum(self.now.values()), sum(self.year_ago.values()))


def _fields(name: str, now: int, then: int) -> dict[str, Any]:
    return {name: now, f"{name}_year_ago": then, f"{name}_change": change(now, then)}


def counted(count: Callable[[datetime, datetime], Mapping[K, int]], start: datetime, end: datetime) -> YearOnYear[K]:
    """`count` over [start, end) and over the same period a year earlier."""
    return YearOnYear(count(start, end), count(year_earlier(start), year_earlier(end)))
