"""Which card openings are abnormal: pure rules over counts the caller took from the database.

Each rule gives a `Reason` shown on the flagged opening and its verification task. The holder's age and home
come from the resident ID number (GB 11643): the first 6 digits are the area code of the issuing county, the
next 8 the birth date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pingan.money.cards.rules.county import CardRules


@dataclass(frozen=True, slots=True)
class Reason:
    rule: str
    text: str

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "text": self.text}


@dataclass(frozen=True, slots=True)
class IdFacts:
    area_code: str
    born: date


def id_facts(id_number: str) -> IdFacts | None:
    """Area code and birth date of an 18-character ID number; None if it does not hold a real date."""
    if len(id_number) != 18 or not id_number[:17].isdigit():
        return None
    try:
        born = date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return None
    return IdFacts(id_number[:6], born)


def age_on(born: date, day: date) -> int:
    """Full years on `day` (a birthday on 29 February counts on 1 March in other years)."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


RULE_PERSON = "person_cards"
RULE_OUTLET = "outlet_batch"
RULE_YOUNG_AWAY = "young_away_from_home"
RULE_CASE = "linked_to_case"


def assess(
    *,
    id_number: str,
    day: date,
    holder_cards: int,
    outlet_cards: int,
    linked_to_case: bool,
    rules: CardRules,
) -> list[Reason]:
    """The reasons an opening is abnormal (none: it is not).

    `holder_cards` and `outlet_cards` are the openings by the same holder and at the same outlet within their
    windows, this one included; `day` is the opening's local date.
    """
    reasons: list[Reason] = []
    if linked_to_case:
        reasons.append(Reason(RULE_CASE, "持卡人与涉诈案件关联"))
    if holder_cards >= rules.person_cards:
        reasons.append(Reason(RULE_PERSON, f"同一人 {rules.person_window_hours} 小时内开卡 {holder_cards} 张"))
    if outlet_cards >= rules.outlet_cards:
        reasons.append(Reason(RULE_OUTLET, f"同一网点 {rules.outlet_window_minutes} 分钟内批量开卡 {outlet_cards} 张"))
    facts = id_facts(id_number)
    if facts is not None:
        age = age_on(facts.born, day)
        n = rules.home_prefix_digits
        home = {code[:n] for code in rules.local_area_codes}
        if rules.young_min_age <= age <= rules.young_max_age and facts.area_code[:n] not in home:
            reasons.append(Reason(RULE_YOUNG_AWAY, f"{age} 岁青年异地开卡（身份证归属地 {facts.area_code}）"))
    return reasons


def is_high(reasons: list[Reason]) -> bool:
    """Verified sooner: linked to a case, or flagged by more than one rule."""
    return len({r.rule for r in reasons}) > 1 or any(r.rule == RULE_CASE for r in reasons)
