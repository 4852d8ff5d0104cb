"""Simulated officers and centre staff working dissuasion tasks, so the demo's loop moves by itself.

They are the demo's own accounts (`pingan.demo.simulated`: ``sim_…``, marked 模拟), never a login the README
gives, and they leave alone a task that a person holds (assigned to anyone but a simulated officer).

Each task gets a seeded temperament (quick or slow to sign, easy or hard to reach), so the demo shows
every path of the ladder: calls retried, visits, escalations on missed deadlines, and all outcomes.
"""

from __future__ import annotations

import logging
import random
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.bootstrap import Services
from pingan.core.errors import PinganError
from pingan.core.identity import Actor
from pingan.core.models import Role, Task, User
from pingan.core.scope import scope_of
from pingan.core.tasks import Command
from pingan.core.tasks.base import fact
from pingan.demo.simulated import is_simulated
from pingan.fraud.models import FraudWarning, Outcome
from pingan.fraud.workflow import KIND, DissuasionAction, DissuasionStatus

log = logging.getLogger(__name__)


@dataclass
class _Plan:
    rng: random.Random
    next_at: datetime
    slow: bool
    reachable: float
    findable: bool


class SimulatedStaff:
    def __init__(self, services: Services, *, seed: int = 7, speed: float = 1.0) -> None:
        self.services = services
        self.seed = seed
        self.speed = speed
        self._plans: dict[int, _Plan] = {}
        self._officers: dict[int, list[int]] = {}
        self._centre: int | None = None
        self._sim_ids: set[int] = set()

    def _delay(self, plan: _Plan, lo: float, hi: float) -> timedelta:
        return timedelta(seconds=plan.rng.uniform(lo, hi) / self.speed)

    def _plan(self, task: Task, now: datetime) -> _Plan:
        plan = self._plans.get(task.id)
        if plan is None:
            rng = random.Random(self.seed * 1_000_003 + task.id)
            slow = rng.random() < 0.12
            plan = _Plan(
                rng=rng,
                next_at=now + timedelta(seconds=(rng.uniform(150, 240) if slow else rng.uniform(8, 50)) / self.speed),
                slow=slow,
                reachable=rng.choice([0.85, 0.6, 0.25]),
                findable=rng.random() > 0.06,
            )
            self._plans[task.id] = plan
        return plan

    def _load_staff(self, session: Session) -> None:
        if self._officers:
            return
        for user_id, unit_id in session.execute(
            select(User.id, User.unit_id).where(
                User.role.in_([Role.OFFICER, Role.STATION_HEAD]), User.active, is_simulated()
            )
        ):
            if unit_id is not None:
                self._officers.setdefault(unit_id, []).append(user_id)
        self._centre = session.scalar(
            select(User.id).where(User.role == Role.ANALYST, User.active, is_simulated()).order_by(User.id).limit(1)
        )
        self._sim_ids = set(session.scalars(select(User.id).where(is_simulated())))

    def _actor(self, task: Task, plan: _Plan) -> int | None:
        staff = self._officers.get(task.unit_id or -1)
        return plan.rng.choice(staff) if staff else self._centre

    def _perform(self, session: Session, task: Task, command: Command) -> None:
        """Act as the simulated officer would through the API: the task engine's access decision and schemas."""
        user = session.get(User, command.actor_id) if command.actor_id is not None else None
        if user is None:
            raise PinganError("no simulated staff for this task")
        payload = dict(command.data)
        if command.reason:
            payload["reason" if command.action == DissuasionAction.CLOSE else "note"] = command.reason
        self.services.tasks.perform(session, Actor.of(user), scope_of(session, user), task, command.action, payload)

    def step(self) -> int:
        """Advance every task whose next move is due; returns how many moves were made."""
        now = self.services.clock.now()
        moves = 0
        with self.services.db.session() as session:
            self._load_staff(session)
            tasks = session.scalars(
                select(Task).where(Task.kind == KIND, Task.closed_at.is_(None)).order_by(Task.id)
            ).all()
            for task in tasks:
                if task.assignee_id is not None and task.assignee_id not in self._sim_ids:
                    continue  # a person holds it: theirs to work
                plan = self._plan(task, now)
                if plan.next_at > now:
                    continue
                command = self._next(session, task, plan)
                if command is None:
                    continue
                try:
                    self._perform(session, task, command)
                    moves += 1
                except PinganError as exc:
                    log.debug("simulated %s on task %s refused: %s", command.action, task.id, exc.message)
                plan.next_at = now + self._delay(plan, 6, 40)
            for task_id in [t for t in self._plans if t not in {task.id for task in tasks}]:
                del self._plans[task_id]
        return moves

    def _next(self, session: Session, task: Task, plan: _Plan) -> Command | None:
        actor = self._actor(task, plan)
        rng = plan.rng
        status = task.status
        if status == DissuasionStatus.ISSUED:
            return Command(DissuasionAction.SIGN, actor)
        if status in (DissuasionStatus.SIGNED, DissuasionStatus.CALLING):
            reached = fact(task, "calls") > 0 and fact(task, "unanswered") == 0
            if reached and task.due_step is not None and task.due_step == "meet":
                return Command(DissuasionAction.VISIT, actor, "上门当面劝阻", {"found": True})
            if reached:
                return self._feedback(session, task, plan, actor)
            answered = rng.random() < plan.reachable
            return Command(DissuasionAction.CALL, actor, "拨打电话" if answered else "无人接听", {"answered": answered})
        if status == DissuasionStatus.VISITING:
            if not plan.findable:
                if (self.services.clock.now() - task.created_at) > timedelta(minutes=20 / self.speed):
                    return Command(
                        DissuasionAction.CLOSE,
                        self._centre,
                        "多次电话、上门及联系家属均未找到本人，转入长期关注",
                        {"outcome": Outcome.UNREACHABLE.value},
                    )
                return Command(DissuasionAction.VISIT, actor, "上门未见到本人，已联系社区网格员", {"found": False})
            found = rng.random() < 0.7
            return Command(DissuasionAction.VISIT, actor, "上门寻找", {"found": found})
        if status == DissuasionStatus.MET:
            return self._feedback(session, task, plan, actor)
        if status == DissuasionStatus.FEEDBACK:
            return Command(DissuasionAction.EVALUATE, self._centre, "处置规范，予以办结")
        return None

    def _feedback(self, session: Session, task: Task, plan: _Plan, actor: int | None) -> Command:
        rng = plan.rng
        warning = session.get(FraudWarning, task.ref_id)
        moved = Decimal(str((warning.features or {}).get("amount_yuan", 0))) if warning else Decimal(0)
        roll = rng.random()
        if roll < 0.78:
            at_stake = moved if moved > 0 else _amount(rng, 9.6)
            return Command(
                DissuasionAction.FEEDBACK,
                actor,
                "当面讲解诈骗手法，本人表示不再转账",
                {"outcome": Outcome.DISSUADED.value, "amount_yuan": str(at_stake)},
            )
        if roll < 0.92:
            return Command(
                DissuasionAction.FEEDBACK, actor, "核实为正常来电，无受骗风险", {"outcome": Outcome.NOT_AT_RISK.value}
            )
        lost = moved if moved > 0 else _amount(rng, 8.8)
        return Command(
            DissuasionAction.FEEDBACK,
            actor,
            "本人已转账，已引导报案并申请止付",
            {"outcome": Outcome.DEFRAUDED.value, "amount_yuan": str(lost)},
        )

    def run(self, stop: threading.Event, interval: float = 1.0) -> None:
        while not stop.is_set():
            try:
                self.step()
            except Exception:  # the demo keeps going; the error is in the log
                log.exception("simulated staff step failed")
            stop.wait(interval)


def _amount(rng: random.Random, mu: float) -> Decimal:
    """A sum of money as people move it: log-normal around e**mu yuan, to the fen, never a round figure."""
    cents = max(10_001, int(rng.lognormvariate(mu, 0.9) * 100))
    if cents % 10_000 == 0:
        cents += rng.randint(1, 9_999)
    return Decimal(cents) / 100
