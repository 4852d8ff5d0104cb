"""Grading: from what we know about a person's fraud contacts to a level, with the reasons shown.

Pure rules: features in, `Grade` out. The rules themselves are county settings (`fraud/rules.toml`).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pingan.fraud.models import EventKind, EventSource, Level

if TYPE_CHECKING:
    from pingan.fraud.rules import GradingRules

FEATURES = frozenset(
    {
        "call_seconds",
        "contacts",
        "amount_yuan",
        "app_installed",
        "url_visited",
        "sms_received",
        "reported",
        "platform_level",
        "age",
        "elderly",
        "elderly_no_age",
        "student",
        "earlier_warnings",
    }
)

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
}

PLATFORM_LEVELS = {1: Level.LOW, 2: Level.MEDIUM, 3: Level.HIGH, 4: Level.CRITICAL}


@dataclass(frozen=True, slots=True)
class Reason:
    rule: str
    text: str
    level: Level | None
    """The floor this rule set, or None for a rule that raises."""
    raised: int = 0

    def as_dict(self) -> dict[str, object]:
        return {"rule": self.rule, "text": self.text, "level": self.level, "raise": self.raised}


@dataclass(frozen=True, slots=True)
class Grade:
    level: Level
    reasons: tuple[Reason, ...]


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def grade(features: Mapping[str, float], rules: GradingRules) -> Grade:
    """The highest floor any matching rule sets (low at least), then raised by every matching raise rule."""
    floor = Level.LOW
    raised = 0
    reasons: list[Reason] = []
    for rule in rules.rules:
        value = features.get(rule.feature)
        if value is None or not _OPS[rule.op](value, rule.value):
            continue
        text = rule.reason.format(value=_fmt(value))
        if rule.raise_ is not None:
            raised += rule.raise_
            reasons.append(Reason(rule.id, text, None, rule.raise_))
            continue
        level = PLATFORM_LEVELS.get(int(value), Level.CRITICAL) if rule.level_from_value else rule.level
        assert level is not None  # one effect per rule is checked when the rules load
        if level.rank > floor.rank:
            floor = level
        reasons.append(Reason(rule.id, text, level))
    return Grade(floor.raised(raised), tuple(reasons))


@dataclass(frozen=True, slots=True)
class EventFacts:
    """What grading needs to know about one event."""

    source: EventSource
    kind: EventKind
    hit: bool
    """The counterpart matched a listed indicator."""
    duration_s: int | None = None
    amount_fen: int | None = None
    level_hint: Level | None = None


def add_event(features: dict[str, float], event: EventFacts) -> None:
    """Fold one event into a warning's running features (in place)."""

    def bump(name: str, by: float = 1) -> None:
        features[name] = features.get(name, 0) + by

    if event.hit:
        bump("contacts")
    if event.kind is EventKind.CALL and event.duration_s:
        features["call_seconds"] = max(features.get("call_seconds", 0), event.duration_s)
    elif event.kind is EventKind.SMS and event.hit:
        bump("sms_received")
    elif event.kind is EventKind.TRANSFER and event.amount_fen:
        # Summed in fen (integers) so that amounts adding up to a threshold reach it exactly.
        bump("amount_fen", event.amount_fen)
        features["amount_yuan"] = features["amount_fen"] / 100
    elif event.kind is EventKind.APP_INSTALL and event.hit:
        bump("app_installed")
    elif event.kind is EventKind.URL_VISIT and event.hit:
        bump("url_visited")
    elif event.kind is EventKind.REPORT:
        bump("reported")
    elif event.kind is EventKind.PUSHED_WARNING:
        hint = event.level_hint or Level.MEDIUM
        features["platform_level"] = max(features.get("platform_level", 0), hint.rank + 1)


def person_features(
    features: dict[str, float], *, birth_year: int | None, tags: list[str], year: int, earlier_warnings: int
) -> None:
    """Facts about the person, set once when the warning is opened."""
    if birth_year is not None:
        features["age"] = year - birth_year
    features["elderly"] = 1 if "elderly" in tags else 0
    # Tagged elderly with no birth year: the age rule cannot fire, so this stands in for it (never both).
    features["elderly_no_age"] = 1 if birth_year is None and "elderly" in tags else 0
    features["student"] = 1 if "student" in tags else 0
    features["earlier_warnings"] = earlier_warnings
