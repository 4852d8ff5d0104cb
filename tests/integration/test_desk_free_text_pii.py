"""Personal data residents type into their requests: masked in every staff view, task title and notification,
absent from the public Open311 feed, and shown only through the recorded reveal."""

from __future__ import annotations

from sqlalchemy import select

from pingan.core.models import AccessLog, Notification
from tests.integration.test_desk_api import D, World, db_fixture, world_fixture  # noqa: F401

ID_NUMBER = "330225199001011234"
PHONE = "138-1234-5678"
CARD = "6222021234567890128"  # passes the Luhn check
TEXT = f"我叫张三，住城河西路123号4幢501室，身份证{ID_NUMBER}，电话+86 {PHONE}，被骗转账到卡{CARD}，共5000元"
FOLLOW_UP = "我的另一个电话13912345678，身份证复印件已带"
NUMBERS = (ID_NUMBER, "1234-5678", CARD, "1234567890", "13912345678", "912345")


def _none_of(shown: str, secrets: tuple[str, ...] = NUMBERS) -> None:
    for secret in secrets:
        assert secret not in shown


def _posted(world: World) -> int:
    me = world.resident("13800000777")
    request_id = int(world.posted(me, text=TEXT, address="甲街道甲一村12号3室")["id"])
    assert world.client.post(f"{D}/requests/{request_id}/messages", json={"body": FOLLOW_UP}, headers=me).status_code
    assert world.act("officer_a1", request_id, "reply", body=f"已核实卡号{CARD}，请勿再转账").status_code == 200
    # The resident reads their own words as they wrote them.
    own = world.client.get(f"{D}/requests/{request_id}", headers=me).json()
    assert own["text"] == TEXT
    return request_id


def test_numbers_typed_into_a_request_are_masked_in_the_staff_queue_view_task_and_notifications(
    world: World,
) -> None:
    request_id = _posted(world)
    (item,) = [i for i in world.queue("officer_a1") if i["id"] == request_id]
    _none_of(item["excerpt"])
    assert item["excerpt"].startswith("我叫张三，住城河西路123号4幢501室，身份证330225********1234")

    view = world.client.get(f"{D}/staff/requests/{request_id}", headers=world.staff("officer_a1")).json()
    assert view["masked"] is True
    _none_of(view["text"])
    assert "+86 138-****-5678" in view["text"]
    assert "6222***********0128" in view["text"]
    assert "5000元" in view["text"]
    bodies = [m["body"] for m in view["messages"]]
    assert any("139****5678" in b for b in bodies)
    _none_of(" ".join(bodies))
    _none_of(view["excerpt"])

    title = world.task_of(request_id).title
    assert title.startswith("【")
    _none_of(title)
    with world.services.db.session() as session:
        notes = [f"{n.title} {n.body}" for n in session.scalars(select(Notification))]
    assert any("群众追问" in n for n in notes)
    assert any("您的诉求有新答复" in n for n in notes)
    _none_of(" ".join(notes))
    with world.services.db.session() as session:
        assert session.scalars(select(AccessLog)).all() == []


def test_reveal_shows_the_text_as_typed_and_records_that_it_was_read(world: World) -> None:
    request_id = _posted(world)
    shown = world.client.get(
        f"{D}/staff/requests/{request_id}",
        params={"reveal": True, "purpose": "回电核实"},
        headers=world.staff("officer_a1"),
    ).json()
    assert shown["masked"] is False
    assert shown["text"] == TEXT
    assert FOLLOW_UP in [m["body"] for m in shown["messages"]]
    with world.services.db.session() as session:
        (log,) = session.scalars(select(AccessLog)).all()
    assert (log.user_id, log.subject_type, log.subject_id, log.purpose) == (
        world.users["officer_a1"],
        "desk_request",
        request_id,
        "回电核实",
    )
    assert "text" in log.fields.split(",")


def test_the_public_feed_carries_no_number_name_or_house_number_from_the_text(world: World) -> None:
    request_id = _posted(world)
    for fmt in ("json", "xml"):
        listed = world.client.get(f"/open311/v2/requests.{fmt}")
        assert listed.status_code == 200, listed.text
        one = world.client.get(f"/open311/v2/requests/{request_id}.{fmt}")
        assert one.status_code == 200, one.text
        for raw in (listed.text, one.text):
            assert "我叫张" in raw  # the request is there...
            _none_of(raw, (*NUMBERS, "张三", "123号", "4幢", "501室", "12号", "3室"))  # ...without the person
    (entry,) = world.client.get(f"/open311/v2/requests/{request_id}.json").json()
    assert entry["address"] == "甲街道甲一村"  # the village, no house number
    assert "5000元" in entry["description"]


def test_a_number_at_the_excerpt_s_cut_is_not_left_half_shown(world: World) -> None:
    text = "路灯坏了" * 13 + "电话13812345678"  # the phone starts at character 55 of the 60 shown
    request_id = int(world.posted(world.resident("13800000778"), text=text)["id"])
    (item,) = [i for i in world.queue("officer_a1") if i["id"] == request_id]
    assert item["excerpt"] == "路灯坏了" * 13 + "电话138***…"  # cut first, "138123" would be shown
