"""The outbox on SQLite and PostgreSQL: a row exists exactly when its transaction commits, each row is claimed by
one worker at a time, failures are retried with back-off and end dead, and a dead worker's row comes back.

The clock is fake: a retry or a lease comes due when the test moves it."""

from __future__ import annotations

import threading
import time
from collections import Counter as Tally
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.core.clock import FakeClock
from pingan.core.db import Database
from pingan.core.models import Counter
from pingan.core.outbox import (
    Message,
    Outbox,
    OutboxMessage,
    OutboxPolicy,
    OutboxState,
    dead_messages,
    outbox_status,
)

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
POLICY = OutboxPolicy(
    max_attempts=3, lease=timedelta(seconds=60), backoff=timedelta(seconds=10), backoff_cap=timedelta(seconds=30)
)


@dataclass
class Calls:
    """What the handlers were given, by row id."""

    seen: Tally[int] = field(default_factory=Tally)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, message: Message) -> None:
        with self.lock:
            self.seen[message.id] += 1


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


def _outbox(db: Database, clock: FakeClock, worker: str = "w1", policy: OutboxPolicy = POLICY) -> Outbox:
    return Outbox(db, clock, policy, worker=worker)


def _put(outbox: Outbox, kind: str = "test.mark", n: int = 1, **payload: object) -> list[int]:
    ids = []
    with outbox.db.session() as session:
        for i in range(n):
            row_id = outbox.put(session, kind, {"n": i, **payload})
            assert row_id is not None
            ids.append(row_id)
    return ids


def _row(db: Database, row_id: int) -> OutboxMessage:
    with db.session() as session:
        row = session.get(OutboxMessage, row_id)
        assert row is not None
        return row


def _marks(db: Database) -> list[str]:
    with db.session() as session:
        return list(session.scalars(select(Counter.name).order_by(Counter.name)))


def _mark(session: Session, message: Message) -> None:
    """An in-database effect: a row named after the outbox row and the attempt (a second delivery would add
    a second row rather than fail on the first one's name)."""
    session.add(Counter(name=f"m{message.id}.{message.attempt}", value=1))


def _fail(message: Message) -> None:
    raise ConnectionError(f"gateway down for #{message.id}")


# -- announcing ----------------------------------------------------------------------------------


def test_a_row_announced_in_a_transaction_that_rolls_back_is_not_there(db: Database, clock: FakeClock) -> None:
    outbox = _outbox(db, clock)

    def change_then_fail() -> None:
        with db.session() as session:
            session.add(Counter(name="change", value=1))
            assert outbox.put(session, "test.mark", {"change": "change"}) is not None
            session.flush()
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError, match="the change failed"):
        change_then_fail()
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        assert session.get(Counter, "change") is None


def test_a_repeated_key_adds_nothing(db: Database, clock: FakeClock) -> None:
    outbox = _outbox(db, clock)
    with db.session() as session:
        first = outbox.put(session, "test.mark", {"v": 1}, key="request:7")
        again = outbox.put(session, "test.mark", {"v": 2}, key="request:7")
    with db.session() as session:
        later = outbox.put(session, "test.mark", {"v": 3}, key="request:7")
        other = outbox.put(session, "test.mark", {"v": 4}, key="request:8")
    assert first is not None
    assert other is not None
    assert (again, later) == (None, None)
    with db.session() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [(r.dedupe_key, r.payload) for r in rows] == [("request:7", {"v": 1}), ("request:8", {"v": 4})]


# -- delivering ----------------------------------------------------------------------------------


def test_an_in_database_handler_commits_with_the_delivered_mark(db: Database, clock: FakeClock) -> None:
    outbox = _outbox(db, clock)
    outbox.register("test.mark", _mark)
    [row_id] = _put(outbox)
    assert outbox.run_until_idle() == 1
    row = _row(db, row_id)
    assert (row.state, row.attempts, row.delivered_at, row.claimed_by, row.last_error) == (
        OutboxState.DELIVERED,
        1,
        T0,
        None,
        None,
    )
    assert _marks(db) == [f"m{row_id}.1"]
    assert outbox.run_until_idle() == 0  # delivered once, never again


def test_a_failing_handler_rolls_its_writes_back_and_the_row_waits_longer_after_each_failure(
    db: Database, clock: FakeClock
) -> None:
    outbox = _outbox(db, clock, policy=OutboxPolicy(max_attempts=5, backoff=timedelta(seconds=10)))
    failures = 0

    def flaky(session: Session, message: Message) -> None:
        nonlocal failures
        _mark(session, message)
        if failures < 3:
            failures += 1
            raise ConnectionError(f"intake busy ({failures})")

    outbox.register("test.mark", flaky)
    [row_id] = _put(outbox)
    waits = []
    for attempt in (1, 2, 3):
        assert outbox.run_until_idle() == 1
        row = _row(db, row_id)
        assert (row.state, row.attempts, row.claimed_by) == (OutboxState.PENDING, attempt, None)
        assert row.last_error == f"ConnectionError: intake busy ({attempt})"
        waits.append(row.available_at - clock.now())
        assert _marks(db) == []  # the failed attempt's write went with it
        clock.advance(waits[-1] - timedelta(seconds=1))
        assert outbox.run_until_idle() == 0  # not before its time
        clock.advance(seconds=1)
    assert waits == [timedelta(seconds=10), timedelta(seconds=20), timedelta(seconds=40)]
    assert outbox.run_until_idle() == 1
    assert _row(db, row_id).state is OutboxState.DELIVERED
    assert _marks(db) == [f"m{row_id}.4"]


def test_a_bad_row_does_not_hold_up_the_others(db: Database, clock: FakeClock) -> None:
    outbox = _outbox(db, clock)
    calls = Calls()

    def picky(message: Message) -> None:
        calls.add(message)
        if message.payload.get("bad"):
            raise ValueError("payload refused")

    outbox.register_external("test.send", picky)
    [bad] = _put(outbox, "test.send", bad=True)
    good = _put(outbox, "test.send", n=3)
    assert outbox.run_until_idle() == 4
    assert [_row(db, i).state for i in good] == [OutboxState.DELIVERED] * 3
    assert (_row(db, bad).state, _row(db, bad).last_error) == (OutboxState.PENDING, "ValueError: payload refused")
    assert calls.seen == Tally({bad: 1, **dict.fromkeys(good, 1)})


def test_a_row_is_dead_after_its_last_attempt_listed_with_its_error_and_delivered_once_requeued(
    db: Database, clock: FakeClock
) -> None:
    outbox = _outbox(db, clock)
    down = True

    def gateway(message: Message) -> None:
        if down:
            _fail(message)

    outbox.register_external("test.send", gateway)
    [row_id] = _put(outbox, "test.send")
    for _ in range(POLICY.max_attempts):
        assert outbox.run_until_idle() == 1
        clock.advance(POLICY.backoff_cap)
    assert outbox.run_until_idle() == 0  # dead rows are not claimed
    row = _row(db, row_id)
    assert (row.state, row.attempts) == (OutboxState.DEAD, POLICY.max_attempts)
    with db.session() as session:
        assert [(c.kind, c.state, c.count) for c in outbox_status(session)] == [("test.send", OutboxState.DEAD, 1)]
        [dead] = dead_messages(session)
    assert (dead.id, dead.kind, dead.attempts) == (row_id, "test.send", POLICY.max_attempts)
    assert dead.last_error == f"ConnectionError: gateway down for #{row_id}"
    # The gateway is mended and an operator requeues the row.
    down = False
    with db.session() as session:
        assert outbox.requeue(session, [row_id, 999]) == 1
    assert outbox.run_until_idle() == 1
    assert _row(db, row_id).state is OutboxState.DELIVERED
    with db.session() as session:
        assert [(c.state, c.count) for c in outbox_status(session)] == [(OutboxState.DELIVERED, 1)]


def test_rows_of_a_kind_without_a_handler_wait_for_a_worker_that_has_one(db: Database, clock: FakeClock) -> None:
    sms_less = _outbox(db, clock)
    sms_less.register("test.mark", _mark)
    [sms] = _put(sms_less, "test.sms")
    assert sms_less.run_until_idle() == 0
    assert _row(db, sms).attempts == 0
    with_sms = _outbox(db, clock, worker="w2")
    calls = Calls()
    with_sms.register_external("test.sms", calls.add)
    assert with_sms.run_until_idle() == 1
    assert calls.seen == Tally({sms: 1})


def test_a_kind_has_one_handler(db: Database, clock: FakeClock) -> None:
    outbox = _outbox(db, clock)
    outbox.register("test.mark", _mark)
    with pytest.raises(ValueError, match="already has a handler"):
        outbox.register_external("test.mark", _fail)


# -- claiming ------------------------------------------------------------------------------------


def test_two_workers_racing_deliver_each_row_exactly_once(db: Database, clock: FakeClock) -> None:
    ids = _put(_outbox(db, clock), n=40)
    calls = Calls()

    def record(session: Session, message: Message) -> None:
        calls.add(message)
        _mark(session, message)

    workers = [_outbox(db, clock, worker=f"w{i}") for i in range(2)]
    for worker in workers:
        worker.register("test.mark", record)
    start = threading.Barrier(len(workers))
    delivered: list[int] = []

    def run(worker: Outbox) -> None:
        start.wait()
        delivered.append(worker.run_until_idle())

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert calls.seen == Tally(dict.fromkeys(ids, 1))
    assert _marks(db) == sorted(f"m{i}.1" for i in ids)
    assert sum(delivered) >= len(ids)  # lost races count as a look, not a delivery


def test_a_claim_made_on_a_stale_read_changes_nothing(
    db: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = _outbox(db, clock, "w1"), _outbox(db, clock, "w2")
    for worker in (first, second):
        worker.register("test.mark", _mark)
    [row_id] = _put(first)
    # Both read the row as due; the first to update it wins, the other's update must change nothing.
    with db.session() as session:
        stale = second._due(session, clock.now())
    assert stale is not None
    won = first.claim()
    monkeypatch.setattr(second, "_due", lambda _session, _now: stale)
    assert won is not None
    assert second.claim() is None
    row = _row(db, row_id)
    assert (row.claimed_by, row.attempts) == ("w1", 1)


def test_a_killed_workers_row_is_claimed_again_once_its_lease_runs_out(db: Database, clock: FakeClock) -> None:
    dead_worker, restarted = _outbox(db, clock, "host:101"), _outbox(db, clock, "host:102")
    for worker in (dead_worker, restarted):
        worker.register("test.mark", _mark)
    [row_id] = _put(dead_worker)
    assert dead_worker.claim() is not None  # and then the process is killed, before delivering
    row = _row(db, row_id)
    assert (row.claimed_by, row.claimed_until) == ("host:101", T0 + POLICY.lease)
    clock.advance(POLICY.lease - timedelta(seconds=1))
    assert restarted.run_until_idle() == 0
    clock.advance(seconds=1)
    assert restarted.run_until_idle() == 1
    row = _row(db, row_id)
    assert (row.state, row.attempts) == (OutboxState.DELIVERED, 2)
    assert row.last_error == "host:101 stopped during attempt 1 (its lease ran out)"
    assert _marks(db) == [f"m{row_id}.2"]


def test_a_worker_whose_lease_was_taken_over_cannot_commit_its_delivery(db: Database, clock: FakeClock) -> None:
    slow, other = _outbox(db, clock, "slow"), _outbox(db, clock, "other")
    slow.register("test.mark", _mark)
    other.register("test.mark", _mark)
    [row_id] = _put(slow)
    late = slow.claim()
    assert late is not None
    clock.advance(POLICY.lease)
    assert other.run_until_idle() == 1
    slow.deliver(late)  # the slow worker gets there in the end: its transaction must not commit
    assert _marks(db) == [f"m{row_id}.2"]
    row = _row(db, row_id)
    assert (row.state, row.attempts, row.last_error) == (
        OutboxState.DELIVERED,
        2,
        "slow stopped during attempt 1 (its lease ran out)",
    )


def test_a_row_that_kills_its_worker_every_time_ends_dead(db: Database, clock: FakeClock) -> None:
    outbox = _outbox(db, clock)
    outbox.register("test.mark", _mark)
    [row_id] = _put(outbox)
    for _ in range(POLICY.max_attempts):
        assert outbox.claim() is not None  # the worker dies during each delivery
        clock.advance(POLICY.lease)
    assert outbox.run_until_idle() == 1  # looked at once more: buried, not delivered
    row = _row(db, row_id)
    assert (row.state, row.attempts, row.claimed_by) == (OutboxState.DEAD, POLICY.max_attempts, None)
    assert row.last_error == f"w1 stopped during attempt {POLICY.max_attempts} (its lease ran out)"
    assert _marks(db) == []


@pytest.fixture
def running(db: Database, clock: FakeClock) -> Iterator[tuple[Outbox, threading.Event, threading.Thread]]:
    from pingan.bootstrap import bootstrap
    from pingan.core.settings import Settings
    from pingan.workers.outbox import run_outbox

    services = bootstrap(Settings(database_url=db.url, desk_dingtalk_enabled=False), clock=clock, db=db)
    services.outbox.register("test.mark", _mark)
    stop = threading.Event()
    thread = threading.Thread(target=run_outbox, args=(services,), kwargs={"poll": 0.02, "stop": stop})
    thread.start()
    yield services.outbox, stop, thread
    stop.set()
    thread.join(timeout=30)


def test_the_worker_loop_delivers_what_is_announced_while_it_runs_and_stops_when_told(
    db: Database, running: tuple[Outbox, threading.Event, threading.Thread]
) -> None:
    outbox, stop, thread = running
    ids = _put(outbox, n=3)
    for _ in range(500):
        if len(_marks(db)) == 3:
            break
        time.sleep(0.02)
    assert _marks(db) == sorted(f"m{i}.1" for i in ids)
    stop.set()
    thread.join(timeout=30)
    assert not thread.is_alive()
