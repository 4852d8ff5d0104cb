"""DingTalk custom robots: the signature, the message formats, and failures recorded rather than raised.

The transport is httpx's MockTransport standing in for DingTalk; it checks what DingTalk checks.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, quote_plus, urlsplit

import httpx

from pingan.core.clock import FakeClock
from pingan.desk.dingtalk import DingTalkClient, action_card, markdown_message, sign, signed_url, text_message

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
SECRET = "SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab"
WEBHOOK = "https://oapi.dingtalk.com/robot/send?access_token=abc123"


def expected_sign(secret: str, timestamp: int) -> str:
    """DingTalk's documented recipe, written out independently of the code under test."""
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), digestmod=hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))


def test_the_signature_is_dingtalks_recipe() -> None:
    ts = 1_795_000_000_000
    assert sign(SECRET, ts) == expected_sign(SECRET, ts)
    url = signed_url(WEBHOOK, SECRET, ts)
    query = parse_qs(urlsplit(url).query)
    assert query["access_token"] == ["abc123"]
    assert query["timestamp"] == [str(ts)]
    # parse_qs decodes the URL-encoding once, leaving DingTalk's base64 string.
    assert query["sign"] == [
        base64.b64encode(hmac.new(SECRET.encode(), f"{ts}\n{SECRET}".encode(), hashlib.sha256).digest()).decode()
    ]
    assert signed_url(WEBHOOK, None, ts) == WEBHOOK


def test_the_three_message_types_have_dingtalks_shape() -> None:
    assert text_message("hi", at_mobiles=["13900000001"]) == {
        "msgtype": "text",
        "text": {"content": "hi"},
        "at": {"atMobiles": ["13900000001"], "atUserIds": [], "isAtAll": False},
    }
    md = markdown_message("新诉求", "#### 新诉求", at_mobiles=["13900000001"])
    assert md["msgtype"] == "markdown"
    assert md["markdown"]["title"] == "新诉求"
    assert md["markdown"]["text"].endswith("@13900000001")  # DingTalk only @s a mobile named in the text
    card = action_card("新诉求", "正文", "http://pingan.local/#/tasks/1")
    assert card["actionCard"]["singleURL"] == "http://pingan.local/#/tasks/1"
    assert card["msgtype"] == "actionCard"


def _client(handler: httpx.MockTransport) -> DingTalkClient:
    return DingTalkClient(FakeClock(NOW), timeout=2.0, transport=handler)


def test_a_post_carries_the_clocks_timestamp_and_a_valid_signature() -> None:
    seen: list[httpx.Request] = []

    def dingtalk(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        query = parse_qs(request.url.query.decode())
        ts = int(query["timestamp"][0])
        if quote_plus(query["sign"][0]) != expected_sign(SECRET, ts):
            return httpx.Response(200, json={"errcode": 310000, "errmsg": "sign not match"})
        return httpx.Response(200, json={"errcode": 0, "errmsg": "ok"})

    result = _client(httpx.MockTransport(dingtalk)).post(WEBHOOK, SECRET, text_message("你好"))
    assert result.ok
    assert result.errcode == 0
    assert int(parse_qs(seen[0].url.query.decode())["timestamp"][0]) == int(NOW.timestamp() * 1000)
    assert json.loads(seen[0].content) == text_message("你好")
    assert seen[0].headers["content-type"].startswith("application/json")


def test_dingtalk_refusals_errors_and_timeouts_are_results_not_exceptions() -> None:
    def refuse(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"errcode": 130101, "errmsg": "send too fast"})

    def broken(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="<html>bad gateway</html>")

    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("read timed out", request=request)

    refused = _client(httpx.MockTransport(refuse)).post(WEBHOOK, SECRET, text_message("x"))
    assert (refused.ok, refused.errcode) == (False, 130101)
    assert "send too fast" in (refused.error or "")
    bad = _client(httpx.MockTransport(broken)).post(WEBHOOK, None, text_message("x"))
    assert (bad.ok, bad.status_code) == (False, 502)
    slow = _client(httpx.MockTransport(timeout)).post(WEBHOOK, SECRET, text_message("x"))
    assert not slow.ok
    assert slow.status_code is None
    assert "ReadTimeout" in (slow.error or "")
