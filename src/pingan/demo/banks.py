"""Simulated banks for the demo: the 反诈中心 sends emergency stops now and then, and a bank's own system
answers them after a plausible delay (stops, freezes when the police order them, returns), as a bank's system
would: with its own partner account (no password; not a demo login), through the payments service that the
bank API calls. A second bank is left to a person: its liaison signs in to the 止付冻结 screen.
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
from pingan.core.identity import Actor, create_user
from pingan.core.models import Role, Unit, UnitKind, User
from pingan.money.payments.models import OrderStatus, PaymentOrder
from pingan.money.payments.schemas import StopCreate
from pingan.money.payments.workflow import Action

log = logging.getLogger(__name__)

SIMULATED_BANK = ("bank-abc-xiangshan", "农业银行象山支行", "abc_system", "农业银行象山支行 止付系统")
MANUAL_BANK = ("bank-nbcb-xiangshan", "宁波银行象山支行", "nbcb_lls", "宁波银行象山支行 反诈联络员")


@dataclass(frozen=True)
class BankDemo:
    simulated_bank: int
    manual_bank: int
    system_user: int
    liaison: tuple[str, str]
    """(username, display name) of the manual bank's liaison, a demo login."""


def setup_bank_demo(services: Services, session: Session, password: str) -> BankDemo:
    """The two banks, the simulated bank's system account and the other bank's liaison login."""
    now = services.clock.now()
    ids: list[int] = []
    for code, name, _user, _display in (SIMULATED_BANK, MANUAL_BANK):
        unit = session.scalar(select(Unit).where(Unit.code == code))
        if unit is None:
            unit = Unit(code=code, name=name, kind=UnitKind.BANK)
            session.add(unit)
            session.flush()
        ids.append(unit.id)
    system = create_user(
        session, SIMULATED_BANK[2], None, role=Role.PARTNER, display_name=SIMULATED_BANK[3], unit_id=ids[0], now=now
    )
    create_user(
        session, MANUAL_BANK[2], password, role=Role.PARTNER, display_name=MANUAL_BANK[3], unit_id=ids[1], now=now
    )
    return BankDemo(ids[0], ids[1], system.id, (MANUAL_BANK[2], MANUAL_BANK[3]))


class SimulatedBanks:
    """`step()` does what is due; `run(stop)` steps every second. Delays are seconds of the demo's clock."""

    def __init__(self, services: Services, demo: BankDemo, *, seed: int = 7, stop_every: float = 90.0) -> None:
        self.services = services
        self.demo = demo
        self.rng = random.Random(seed)
        self.stop_every = stop_every
        self._next_stop: datetime | None = None
        self._due: dict[tuple[int, str], datetime] = {}
        self._centre: int | None = None

    def _later(self, key: tuple[int, str], now: datetime, lo: float, hi: float) -> bool:
        """Whether the delay drawn for this order's next move has passed (drawn on first sight)."""
        due = self._due.setdefault(key, now + timedelta(seconds=self.rng.uniform(lo, hi)))
        return now >= due

    def _centre_actor(self) -> Actor | None:
        if self._centre is None:
            with self.services.db.session() as session:
                self._centre = session.scalar(select(User.id).where(User.role == Role.ANALYST).order_by(User.id))
        return Actor(self._centre, Role.ANALYST, None) if self._centre is not None else None

    def step(self) -> int:
        """One round: perhaps a new stop from the centre, then every move that is due. Returns moves made."""
        now = self.services.clock.now()
        moves = 0
        centre = self._centre_actor()
        if centre is not None and (self._next_stop is None or now >= self._next_stop):
            if self._next_stop is None:  # the first one soon, so that a visitor sees the loop start
                self._next_stop = now + timedelta(seconds=self.rng.uniform(5, 20))
            else:
                self._send_stop(centre)
                moves += 1
                self._next_stop = now + timedelta(seconds=self.rng.uniform(0.5, 1.5) * self.stop_every)
        with self.services.db.session() as session:
            open_orders = session.execute(
                select(PaymentOrder.id, PaymentOrder.status, PaymentOrder.bank_unit_id, PaymentOrder.amount_fen).where(
                    PaymentOrder.status.in_([OrderStatus.ISSUED, OrderStatus.HELD, OrderStatus.FREEZE_ORDERED])
                )
            ).all()
        system = Actor(self.demo.system_user, Role.PARTNER, self.demo.simulated_bank)
        for order_id, status, bank_id, amount in open_orders:
            ours = bank_id == self.demo.simulated_bank
            try:
                if status is OrderStatus.ISSUED and ours and self._later((order_id, "answer"), now, 20, 240):
                    self._answer(system, order_id, amount)
                elif status is OrderStatus.HELD and centre and self._later((order_id, "order"), now, 60, 600):
                    self.services.payments.act(centre, order_id, Action.ORDER_FREEZE, {"basis": "冻结决定书（演示）"})
                elif status is OrderStatus.FREEZE_ORDERED and ours and self._later((order_id, "freeze"), now, 30, 300):
                    self.services.payments.act(
                        system, order_id, Action.FREEZE, {"amount_frozen_yuan": str(Decimal(amount) / 100)}
                    )
                else:
                    continue
                moves += 1
            except PinganError as exc:  # a person (or the rules) got there first: nothing to do
                log.info("simulated bank: order %s: %s", order_id, exc.message)
        return moves

    def _answer(self, system: Actor, order_id: int, amount_fen: int) -> None:
        roll = self.rng.random()
        if roll < 0.8:
            kept = Decimal(int(amount_fen * self.rng.uniform(0.6, 1.0))) / 100
            payload = {"result": "stopped", "amount_stopped_yuan": str(kept.quantize(Decimal("0.01")))}
        elif roll < 0.95:
            payload = {"result": "withdrawn", "amount_withdrawn_yuan": str(Decimal(amount_fen) / 100)}
        else:
            payload = {"result": "not_found"}
        self.services.payments.act(system, order_id, Action.ANSWER, payload)

    def _send_stop(self, centre: Actor) -> None:
        bank = self.demo.simulated_bank if self.rng.random() < 0.75 else self.demo.manual_bank
        account = "622848" + "".join(str(self.rng.randint(0, 9)) for _ in range(13))
        amount = Decimal(self.rng.choice((3000, 8800, 20000, 50000, 120000, 318335)))
        body = StopCreate(
            bank_unit_id=bank,
            account=account,
            amount_yuan=amount,
            basis="受害人被冒充客服诈骗，转账至该账户（演示数据）",
        )
        try:
            self.services.payments.request_stop(centre, body)
        except PinganError as exc:
            log.info("simulated centre: stop refused: %s", exc.message)

    def run(self, stop: threading.Event, interval: float = 1.0) -> None:
        while not stop.is_set():
            try:
                self.step()
            except Exception:  # the demo keeps going; the error is in the log
                log.exception("simulated banks step failed")
            stop.wait(interval)
