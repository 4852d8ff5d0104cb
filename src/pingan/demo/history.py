"""Two months of the county's past for the rankings (打榜): warnings pushed down by the city platform and
worked by each station's simulated officers, some in time and some late, so that last month's ranking
differs from the month before and both are published (通报).

The past runs through the same intake and task engine as the live demo, on a clock set to each moment in
turn; the sweeper records the missed deadlines as it would have. Each station's diligence is drawn anew
for each month, so the stations change places.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from pingan.bootstrap import Services, bootstrap
from pingan.command.ranking.periods import RankPeriod, month_of
from pingan.core.clock import FakeClock
from pingan.core.models import Person, PersonPhone, Task, Unit, UnitKind, User
from pingan.core.tasks import Command
from pingan.demo.simulated import is_simulated
from pingan.fraud.models import FraudWarning
from pingan.fraud.workflow import DissuasionAction

SOURCE = "platform"
MONTHS = 2
LEVELS = ("high", "medium", "medium", "low")


@dataclass(frozen=True)
class _Station:
    unit_id: int
    area_id: int
    officer_id: int
    phones: list[str]


def _stations(services: Services, rng: random.Random) -> list[_Station]:
    out = []
    with services.db.session() as s:
        for unit in s.scalars(select(Unit).where(Unit.kind == UnitKind.STATION).order_by(Unit.code)):
            if unit.area_id is None:
                continue
            officer = s.scalar(select(User.id).where(User.unit_id == unit.id, is_simulated()).order_by(User.id))
            phones = list(
                s.scalars(
                    select(PersonPhone.phone)
                    .join(Person, Person.id == PersonPhone.person_id)
                    .where(Person.station_id == unit.area_id)
                    .order_by(PersonPhone.phone)
                    .limit(200)
                )
            )
            if officer is not None and phones:
                out.append(_Station(unit.id, unit.area_id, officer, rng.sample(phones, min(len(phones), 40))))
    return out


def past_months(now: datetime, months: int = MONTHS) -> list[RankPeriod]:
    """The `months` whole months before the one holding `now`, oldest first."""
    out = [month_of(now).previous()]
    for _ in range(months - 1):
        out.insert(0, out[0].previous())
    return out


def backfill(services: Services, *, seed: int) -> list[RankPeriod]:
    """Warnings and their dissuasions over the last two whole months; returns those months, oldest first."""
    rng = random.Random(seed * 31 + 5)
    stations = _stations(services, rng)
    months = past_months(services.clock.now())
    clock = FakeClock(months[0].start)
    # The past's own services: the same database and rules, the engine and intake on the past's clock.
    past = bootstrap(services.settings, clock=clock, db=services.db, rules=services.rules)
    try:
        for month in months:
            diligence = {st.unit_id: rng.uniform(0.2, 1.0) for st in stations}
            volume = {st.unit_id: rng.randint(3, 9) for st in stations}
            plan: list[tuple[datetime, _Station]] = []
            span = (month.end - month.start).total_seconds() - 6 * 3600
            for st in stations:
                for _ in range(volume[st.unit_id]):
                    plan.append((month.start + timedelta(seconds=rng.uniform(0, span)), st))
            plan.sort(key=lambda p: p[0])
            # One warning at a time, each worked before the next opens (they are at least an hour apart).
            last = month.start
            for n, (at, st) in enumerate(plan):
                at = max(at, last + timedelta(hours=1))
                last = at + timedelta(minutes=50)
                _one(past, clock, at, st, rng, diligence[st.unit_id], f"history-{month.key}-{n}")
    finally:
        past.desk.close()  # the database is the demo's own: left open
    return months


def _one(
    past: Services, clock: FakeClock, at: datetime, st: _Station, rng: random.Random, diligence: float, key: str
) -> None:
    clock.set(at)
    result = past.intake.ingest(
        [
            {
                "id": key,
                "source": SOURCE,
                "kind": "pushed_warning",
                "at": at.astimezone(UTC).isoformat(),
                "subject_phone": rng.choice(st.phones),
                "level": rng.choice(LEVELS),
                "text": "市级精准劝阻宣防平台下发：疑似刷单返利诈骗，请立即劝阻",
            }
        ]
    )
    if not result.warnings_opened:
        return
    in_time = rng.random() < diligence
    clock.set(at + timedelta(minutes=rng.uniform(1, 4) if in_time else rng.uniform(35, 48)))
    with past.db.session() as s:
        past.tasks.sweep(s)  # a deadline missed on the way is recorded as the sweeper would have
    dissuaded = rng.random() < 0.35 + 0.6 * diligence
    with past.db.session() as s:
        task_id = s.scalar(select(FraudWarning.task_id).where(FraudWarning.id == result.warnings_opened[0]))
        task = s.get(Task, task_id) if task_id is not None else None
        if task is None or task.unit_id != st.unit_id or task.closed_at is not None:
            return
        for action, data in (
            (DissuasionAction.SIGN, {}),
            (DissuasionAction.MEET, {}),
            (
                DissuasionAction.FEEDBACK,
                {"outcome": "dissuaded", "amount_yuan": f"{rng.randint(2, 80) * 500}"}
                if dissuaded
                else {"outcome": "not_at_risk"},
            ),
            (DissuasionAction.EVALUATE, {}),
        ):
            past.tasks.act(s, task, Command(action, st.officer_id, None, data))


def publish_history(services: Services, months: list[RankPeriod]) -> None:
    """Publish each month's station ranking, oldest first, so each anchors the next month's change."""
    with services.db.session() as s:
        for month in months:
            if services.ranking.rank(s, month).published:
                continue
            services.ranking.publish(s, month)


# The demo county's three districts (三大片区), six stations each, by their units' codes.
DISTRICTS = {
    "中心片区": ("330225001", "330225002", "330225003", "330225200", "330225201", "330225109"),
    "南部片区": ("330225101", "330225103", "330225204", "330225110", "330225107", "330225203"),
    "北部片区": ("330225102", "330225105", "330225106", "330225202", "330225104", "330225108"),
}


def demo_rules() -> str:
    """The demo's county rules file: its districts (片区); every other table keeps its defaults."""
    lines = ["# The demo county's rules: its three districts (三大片区).", "[ranking]", "districts = ["]
    for name, towns in DISTRICTS.items():
        units = ", ".join(f'"station-{t}"' for t in towns)
        lines.append(f'  {{ name = "{name}", units = [{units}] }},')
    lines.append("]")
    return "\n".join(lines) + "\n"
