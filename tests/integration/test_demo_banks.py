"""The demo's simulated bank: the centre's stops reach it, and its own system account (not a demo login, no
password) answers them after a delay and freezes when the police order it; the other bank's requests are left
to its liaison."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from pingan.bootstrap import bootstrap
from pingan.core.clock import FakeClock
from pingan.core.db import Database
from pingan.core.identity import create_user
from pingan.core.models import Role, TaskEvent, User
from pingan.core.settings import Settings
from pingan.core.setup import ensure_centre_units
from pingan.demo.banks import SimulatedBanks, setup_bank_demo
from pingan.money.payments.models import OrderStatus, PaymentOrder

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def test_the_simulated_bank_answers_with_its_own_account_and_leaves_the_other_bank_alone(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'demo.db'}")
    db.create_all()
    clock = FakeClock(T0)
    services = bootstrap(Settings(database_url=db.url), clock=clock, db=db)
    try:
        with db.session() as session:
            centres = ensure_centre_units(session)
            create_user(
                session,
                "fzzx",
                "pw-123456",
                role=Role.ANALYST,
                display_name="fzzx",
                unit_id=centres["anti-fraud-centre"],
                now=T0,
            )
            demo = setup_bank_demo(services, session, "pw-123456")
            system = session.get(User, demo.system_user)
            assert system is not None
            assert (system.role, system.unit_id, system.password_hash) == (Role.PARTNER, demo.simulated_bank, None)
        banks = SimulatedBanks(services, demo, seed=3, stop_every=60)
        assert banks.step() == 0  # the first round only plans the first stop
        for _ in range(40):  # 20 minutes of demo, a round every 30 s, a stop every minute or so
            clock.advance(seconds=30)
            banks.step()
        with db.session() as session:
            orders = session.scalars(select(PaymentOrder)).all()
            ours = [o for o in orders if o.bank_unit_id == demo.simulated_bank]
            theirs = [o for o in orders if o.bank_unit_id == demo.manual_bank]
            assert len(orders) >= 10
            assert ours
            assert all(
                o.status is not OrderStatus.ISSUED for o in ours if o.requested_at < clock.now() - timedelta(minutes=5)
            )
            assert {o.status for o in ours} & {OrderStatus.FROZEN, OrderStatus.FREEZE_ORDERED, OrderStatus.HELD}
            assert all(o.status in (OrderStatus.ISSUED, OrderStatus.HELD, OrderStatus.FREEZE_ORDERED) for o in theirs)
            assert all(o.stopped_at is None for o in theirs)
            answered_by = set(
                session.scalars(select(TaskEvent.actor_id).where(TaskEvent.action.in_(["answer", "freeze"])))
            )
            assert answered_by == {demo.system_user}
    finally:
        services.close()
