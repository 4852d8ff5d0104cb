"""The officer's phone: DingTalk robots bound to a station's group and to an officer, against a local fake
DingTalk server (a thread on 127.0.0.1) that checks the signature and the message the way DingTalk does.

Notifications reach DingTalk through the outbox: each test runs the outbox worker's loop in the test's own
thread (`run_until_idle`), and moves the fake clock to reach a retry."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select, update

from pingan.core.outbox import OutboxMessage, OutboxState
from pingan.desk.dingtalk import DINGTALK
from pingan.desk.models import DingTalkRobot, DingTalkSend
from pingan.workers.sweeper import sweep_once
from tests.integration.test_desk_api import POINT_A1, T0, D, World, db_fixture, world_fixture  # noqa: F401

SECRET = "SECf0c2a9d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1"


@dataclass
class FakeDingTalk:
    """Answers like DingTalk: errcode 0 when the token, timestamp and signature are right, 310000 otherwise."""

    secret: str
    token: str = "group-token"
    received: list[dict[str, Any]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/robot/send?access_token={self.token}"

    def handle(self, path: str, body: bytes) -> dict[str, Any]:
        query = parse_qs(urlsplit(path).query)
        if query.get("access_token") != [self.token]:
            self.refused.append("token")
            return {"errcode": 300001, "errmsg": "token is not exist"}
        timestamp = int(query["timestamp"][0])
        if abs(timestamp - int(T0.timestamp() * 1000)) > 3600 * 1000:
            self.refused.append("timestamp")
            return {"errcode": 310000, "errmsg": "invalid timestamp"}
        expected = base64.b64encode(
            hmac.new(self.secret.encode(), f"{timestamp}\n{self.secret}".encode(), hashlib.sha256).digest()
        ).decode()
        if query["sign"] != [expected]:
            self.refused.append("sign")
            return {"errcode": 310000, "errmsg": "sign not match"}
        message = json.loads(body)
        if message.get("msgtype") not in ("text", "markdown", "actionCard", "link", "feedCard"):
            return {"errcode": 40035, "errmsg": "missing msgtype"}
        self.received.append(message)
        return {"errcode": 0, "errmsg": "ok"}


@pytest.fixture
def dingtalk() -> Iterator[FakeDingTalk]:
    fake = FakeDingTalk(SECRET)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            answer = json.dumps(fake.handle(self.path, self.rfile.read(length))).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    fake.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def _bind(world: World, **body: Any) -> None:
    response = world.client.post(f"{D}/admin/dingtalk-robots", json=body, headers=world.staff("admin"))
    assert response.status_code == 201, response.text


def _sends(world: World) -> list[DingTalkSend]:
    with world.services.db.session() as session:
        return list(session.scalars(select(DingTalkSend).order_by(DingTalkSend.id)))


def _deliver(world: World) -> int:
    """What the outbox worker would do now: deliver every row that is due."""
    return world.services.outbox.run_until_idle()


def _dingtalk_rows(world: World) -> list[OutboxMessage]:
    with world.services.db.session() as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == DINGTALK)))


def test_a_new_request_reaches_the_station_group_with_the_officer_mentioned(
    world: World, dingtalk: FakeDingTalk
) -> None:
    _bind(world, name="甲所群", unit_id=world.ids["station-A"], webhook=dingtalk.url, secret=SECRET)
    posted = world.posted(world.resident("13800005001"), topic="household", point=POINT_A1)
    assert dingtalk.received == []  # announced with the post; the worker sends it
    assert _deliver(world) == 1
    assert dingtalk.refused == []
    [message] = dingtalk.received
    assert message["msgtype"] == "markdown"
    assert message["at"] == {"atMobiles": ["13900000001"], "atUserIds": [], "isAtAll": False}
    assert "新任务" in message["markdown"]["title"]
    assert "户口" in message["markdown"]["text"]
    assert message["markdown"]["text"].endswith("@13900000001")
    [send] = _sends(world)
    assert (send.ok, send.errcode, send.msgtype, send.status_code) == (True, 0, "markdown", 200)
    # A late reply reminds the group, again with the officer mentioned.
    world.clock.advance(minutes=30)
    sweep_once(world.services)
    _deliver(world)
    assert "超时" in dingtalk.received[-1]["markdown"]["title"]
    assert dingtalk.received[-1]["at"]["atMobiles"] == ["13900000001"]
    assert posted["id"] > 0


def test_a_personal_robot_gets_the_officers_own_notifications(world: World, dingtalk: FakeDingTalk) -> None:
    _bind(world, name="李警官", user_id=world.users["officer_a1"], webhook=dingtalk.url, secret=SECRET)
    with world.services.db.session() as session:
        world.services.notifier.send(session, title="请回电群众", body="预约明早", user_id=world.users["officer_a1"])
    _deliver(world)
    [message] = dingtalk.received
    assert message["at"]["atMobiles"] == ["13900000001"]
    assert "请回电群众" in message["markdown"]["text"]


def test_a_wrong_secret_a_dead_robot_and_a_rolled_back_notification_never_break_a_post(
    world: World, dingtalk: FakeDingTalk
) -> None:
    _bind(world, name="错签", unit_id=world.ids["station-A"], webhook=dingtalk.url, secret="SECwrong")
    _bind(world, name="已下线", unit_id=world.ids["station-A"], webhook="http://127.0.0.1:9/robot/send?access_token=x")
    response = world.post(world.resident("13800005002"))
    assert response.status_code == 201
    _deliver(world)
    sends = _sends(world)
    assert [(s.ok, s.errcode) for s in sends] == [(False, 310000), (False, None)]
    assert "sign not match" in (sends[0].error or "")
    assert "ConnectError" in (sends[1].error or "")
    [row] = _dingtalk_rows(world)
    assert (row.state, row.attempts) == (OutboxState.PENDING, 1)
    assert "sign not match" in (row.last_error or "")
    assert "ConnectError" in (row.last_error or "")
    # A notification whose transaction rolls back is never announced, so never sent.
    with pytest.raises(RuntimeError, match="rolled back"):
        _notify_then_fail(world)
    assert len(_dingtalk_rows(world)) == 1
    assert _deliver(world) == 0  # the failed one waits for its retry
    assert len(_sends(world)) == 2


def _notify_then_fail(world: World) -> None:
    with world.services.db.session() as session:
        world.services.notifier.send(session, title="不该发出", unit_id=world.ids["station-A"])
        session.flush()
        raise RuntimeError("rolled back")


def test_an_actioncard_links_to_the_task_when_the_ui_address_is_known(world: World, dingtalk: FakeDingTalk) -> None:
    delivery = world.services.desk.dingtalk
    assert delivery is not None
    delivery.public_url = "http://pingan.county.gov"
    _bind(world, name="指挥中心", unit_id=world.ids["command-centre"], webhook=dingtalk.url, secret=SECRET)
    posted = world.posted(world.resident("13800005003"), topic="exit_entry", text="护照怎么换发")
    _deliver(world)
    [card] = dingtalk.received
    task = world.task_of(posted["id"])
    assert card["msgtype"] == "actionCard"
    assert card["actionCard"]["singleURL"] == f"http://pingan.county.gov/#/tasks/{task.id}"


def test_a_failed_post_is_retried_after_the_back_off_to_the_robot_that_failed_only(
    world: World, dingtalk: FakeDingTalk
) -> None:
    _bind(world, name="甲所群", unit_id=world.ids["station-A"], webhook=dingtalk.url, secret=SECRET)
    _bind(world, name="签名过期", unit_id=world.ids["station-A"], webhook=dingtalk.url, secret="SECstale")
    world.posted(world.resident("13800005004"), topic="household", point=POINT_A1)
    _deliver(world)
    assert (len(dingtalk.received), dingtalk.refused) == (1, ["sign"])
    # The admin mends the secret; nothing is posted before the back-off has passed.
    with world.services.db.session() as session:
        session.execute(update(DingTalkRobot).where(DingTalkRobot.secret == "SECstale").values(secret=SECRET))
    world.clock.advance(seconds=world.services.outbox.policy.backoff.total_seconds() - 1)
    assert _deliver(world) == 0
    world.clock.advance(seconds=1)
    assert _deliver(world) == 1
    assert len(dingtalk.received) == 2  # the mended robot now; the group that had it is not posted again
    assert [(s.robot_id, s.ok) for s in _sends(world)] == [(1, True), (2, False), (2, True)]
    [row] = _dingtalk_rows(world)
    assert (row.state, row.attempts, row.delivered_at) == (OutboxState.DELIVERED, 2, world.clock.now())


def test_a_row_redelivered_after_its_worker_stopped_does_not_post_to_the_group_again(
    world: World, dingtalk: FakeDingTalk
) -> None:
    _bind(world, name="甲所群", unit_id=world.ids["station-A"], webhook=dingtalk.url, secret=SECRET)
    world.posted(world.resident("13800005005"), topic="household", point=POINT_A1)
    outbox, delivery = world.services.outbox, world.services.desk.dingtalk
    assert delivery is not None
    # A worker claims the row and posts, then dies before marking it delivered.
    message = outbox.claim()
    assert message is not None
    delivery.post(message)
    assert len(dingtalk.received) == 1
    assert _deliver(world) == 0  # its lease still holds the row
    world.clock.advance(seconds=outbox.policy.lease.total_seconds())
    assert _deliver(world) == 1
    assert len(dingtalk.received) == 1  # the record keyed by the outbox row says the group has it
    [row] = _dingtalk_rows(world)
    assert (row.state, row.attempts) == (OutboxState.DELIVERED, 2)
    assert "stopped during attempt 1" in (row.last_error or "")
