"""The GeoReport v2 documents and their helpers, without a database."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import orjson
import pytest

from pingan.desk.open311.catalog import SERVICES, service
from pingan.desk.open311.format import (
    RequestFacts,
    errors_document,
    parse_w3,
    redact,
    request_entry,
    to_json,
    to_xml,
    w3,
    window,
)
from pingan.desk.open311.post import Open311Error, parse_post
from pingan.desk.rules.kinds import Category

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def parse(document: bytes) -> ET.Element:
    return ET.fromstring(document)  # noqa: S314 - documents this test just wrote


def test_a_list_becomes_a_wrapper_with_one_element_per_item_and_json_keeps_it_a_list() -> None:
    doc = [{"code": 400, "description": "缺少 service_code"}, {"code": 403, "description": "api_key 无效"}]
    tree = parse(to_xml("errors", doc))
    assert [e.tag for e in tree] == ["error", "error"]
    assert [(e.findtext("code"), e.findtext("description")) for e in tree] == [
        ("400", "缺少 service_code"),
        ("403", "api_key 无效"),
    ]
    assert orjson.loads(to_json(doc)) == doc


def test_none_is_an_empty_element_and_booleans_are_lowercase() -> None:
    tree = parse(to_xml("service_requests", [{"account_id": None, "metadata": True, "lat": 29.42}]))
    request = tree.find("request")
    assert request is not None
    assert request.find("account_id") is not None
    assert request.findtext("account_id") == ""
    assert request.findtext("metadata") == "true"
    assert request.findtext("lat") == "29.42"


def test_the_document_starts_with_the_utf8_declaration_and_drops_characters_xml_cannot_hold() -> None:
    document = to_xml("errors", errors_document([(400, "坏\x00字\x1f符")]))
    assert document.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n<errors>')
    assert parse(document).findtext("error/description") == "坏字符"


def test_dates_are_w3c_with_the_local_offset() -> None:
    assert w3(NOW, SHANGHAI) == "2026-11-23T10:00:00+08:00"
    assert w3(None, SHANGHAI) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-11-23T10:00:00+08:00", NOW),
        ("2026-11-23T02:00:00Z", NOW),
        ("2026-11-23T10:00:00", NOW),
        ("2026-11-23 10:00", NOW),
        ("2026-11-23", datetime(2026, 11, 22, 16, 0, tzinfo=UTC)),
    ],
)
def test_query_dates_may_be_w3c_dates_or_date_times(raw: str, expected: datetime) -> None:
    assert parse_w3(raw, SHANGHAI) == expected


@pytest.mark.parametrize("raw", ["yesterday", "23/11/2026", "2026-13-01", "2026-11-23T25:00:00Z"])
def test_anything_else_is_not_a_date(raw: str) -> None:
    with pytest.raises(ValueError, match=r".*"):
        parse_w3(raw, SHANGHAI)


def test_the_window_is_the_last_90_days_by_default_and_never_wider() -> None:
    assert window(None, None, NOW).start == NOW - timedelta(days=90)
    start = NOW - timedelta(days=200)
    assert window(start, None, NOW).end == start + timedelta(days=90)
    assert window(None, NOW, NOW).start == NOW - timedelta(days=90)
    with pytest.raises(ValueError, match="90"):
        window(start, NOW, NOW)
    with pytest.raises(ValueError, match="早于"):
        window(NOW, start, NOW)


@pytest.mark.parametrize(
    ("text", "published"),
    [
        ("我的电话13812345678", "我的电话***********"),
        ("身份证330225199001011234", "身份证******************"),
        ("卡号 6222 0212 3456 7890 123", "卡号 **** **** **** **** ***"),
        ("邮箱 zhang.san@example.cn 有事", "邮箱 ***@*** 有事"),
        ("中街12号3幢，路灯坏了2天", "中街*****，路灯坏了2天"),
        ("我叫张三，李女士家门口", "我叫张*，*女士家门口"),
        ("１３８１２３４５６７８", "１３８****５６７８"),
    ],
)
def test_published_text_hides_numbers_mail_addresses_names_and_house_numbers(text: str, published: str) -> None:
    assert redact(text) == published


def _facts(category: Category, **changes: object) -> RequestFacts:
    base: dict[str, object] = {
        "id": 7,
        "category": category,
        "topic": None,
        "text": "门口的狗晚上一直叫，13812345678",
        "address": "丹东街道东门社区中街12号3幢501室",
        "lon": 121.912345,
        "lat": 29.421987,
        "place": "丹东街道东门社区",
        "status": "issued",
        "is_open": True,
        "resolution": None,
        "merged_into_id": None,
        "replied": False,
        "agency": "丹东街道综治中心",
        "diverted": True,
        "created_at": NOW,
        "updated_at": NOW,
        "closed_at": None,
        "reply_due_at": NOW + timedelta(minutes=30),
        "media_url": None,
    }
    base.update(changes)
    return RequestFacts(**base)  # type: ignore[arg-type]


def test_a_published_request_is_rounded_masked_and_redacted() -> None:
    svc = service("nuisance")
    assert svc is not None
    entry = request_entry(_facts(Category.NUISANCE), svc, SHANGHAI)
    assert (entry["lat"], entry["long"]) == (29.422, 121.912)
    assert entry["address"] == "丹东街道东门社区中街"  # the street: no house number, not even as stars
    assert entry["description"] == "门口的狗晚上一直叫，***********"
    assert entry["status_notes"] == "已受理，等待签收（已分流至丹东街道综治中心）"
    assert entry["expected_datetime"] == "2026-11-23T10:30:00+08:00"


def test_a_sensitive_request_publishes_neither_text_nor_place() -> None:
    svc = service("emergency")
    assert svc is not None
    entry = request_entry(_facts(Category.EMERGENCY, diverted=False, agency="丹东派出所"), svc, SHANGHAI)
    assert (entry["description"], entry["address"], entry["lat"], entry["long"]) == (None, None, None, None)
    assert "110" in str(entry["service_notice"])


def test_every_service_code_is_a_category_and_only_topic_lists_are_metadata() -> None:
    assert [s.code for s in SERVICES] == [c.value for c in Category]
    assert {s.code for s in SERVICES if s.metadata} == {"consultation", "hazard", "nuisance", "emergency"}


def test_a_form_with_a_multivalue_topic_is_refused() -> None:
    fields = {
        "service_code": ["nuisance"],
        "lat": ["29.42"],
        "long": ["121.91"],
        "phone": ["13812345678"],
        "attribute[topic][]": ["dog", "noise"],
    }
    with pytest.raises(Open311Error) as caught:
        parse_post(fields)
    assert caught.value.status == 400
    assert "一个取值" in caught.value.errors[0][1]


def test_a_good_form_reads_phone_topic_and_location() -> None:
    form = parse_post(
        {
            "service_code": ["nuisance"],
            "lat": [" 29.42 "],
            "long": ["121.91"],
            "phone": ["+86 138-1234-5678"],
            "attribute[topic]": ["dog"],
            "description": [""],
            "email": [""],
        }
    )
    assert (form.lat, form.lon, form.phone) == (29.42, 121.91, "13812345678")
    assert form.topic is not None
    assert form.topic.value == "dog"
    assert (form.description, form.email) == ("", None)
