"""群众求助 in the staff UI: an officer works the queue (live reply deadlines, overdue in red, photos shown,
sign, reply, divert to a governance department, merge a duplicate), and a governance department sees
only what was sent to it and closes it.
"""

from __future__ import annotations

import random
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from sqlalchemy import select, update

from pingan.core.geo import CRS
from pingan.core.identity import Actor
from pingan.core.models import Role
from pingan.demo.desk_sim import make_photo
from pingan.desk.media import Upload
from pingan.desk.models import DeskRequest
from pingan.desk.rules.kinds import Category, Route, Topic
from pingan.desk.schemas import DeskRequestCreate
from tests.browser.conftest import LiveApp, open_screen
from tests.desk_county import PASSWORD


def shot(page: Any, screenshots: Path, name: str) -> None:
    page.screenshot(path=str(screenshots / f"staff-{name}.png"))


def post(
    app: LiveApp,
    phone: str,
    category: Category,
    text: str,
    *,
    topic: Topic | None = None,
    photo: bool = False,
    voice: bool = False,
    jitter: float = 0.0,
) -> int:
    """A resident's request, posted through the desk as the E警通 page would."""
    resident = app.services.desk.residents.sign_in(phone).resident
    lon, lat = app.officer_point
    body = DeskRequestCreate(
        category=category, topic=topic, text=text, lon=lon + jitter, lat=lat + jitter, crs=CRS.WGS84
    )
    uploads = [Upload("现场.png", "image/png", make_photo(random.Random(phone), 200, 150))] if photo else []
    if voice:  # an Ogg page header: enough for the desk to take it as a voice note
        uploads.append(Upload("语音.ogg", "audio/ogg", b"OggS" + bytes(60)))
    return app.services.desk.requests.post(Actor(resident.id, Role.RESIDENT, None), body, uploads).request_id


def make_overdue(app: LiveApp, request_id: int) -> None:
    """As if the reply window had passed (the test does not wait for it)."""
    past = app.services.clock.now() - timedelta(minutes=5)
    with app.services.db.session() as session:
        session.execute(update(DeskRequest).where(DeskRequest.id == request_id).values(reply_due_at=past))


def log_in(page: Any, username: str) -> None:
    page.goto("/static/index.html#/desk")
    page.locator("input[name='username']").fill(username)
    page.locator("input[name='password']").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    open_screen(page, "desk")
    expect(page.locator(".nav-link[data-screen='desk']")).to_have_class(re.compile(r"\bis-active\b"))


def card(page: Any, request_id: int) -> Any:
    return page.locator(f".desk-card[data-id='{request_id}']")


def test_an_officer_signs_replies_diverts_and_merges_from_the_queue(
    desktop: Any, live_app: LiveApp, screenshots: Path
) -> None:
    page = desktop
    fire = post(live_app, "13700000001", Category.HAZARD, "楼道里堆满纸箱，消防通道不通。", photo=True, voice=True)
    late = post(live_app, "13700000002", Category.CONSULTATION, "身份证过期了在哪里换？", topic=Topic.HOUSEHOLD)
    noise = post(live_app, "13700000003", Category.CONSULTATION, "楼上每天晚上装修到十一点，吵得孩子睡不着。")
    lamp = post(live_app, "13700000004", Category.HAZARD, "小区门口的路灯坏了，晚上很黑。", jitter=0.0001)
    lamp_again = post(live_app, "13700000005", Category.HAZARD, "小区门口路灯坏了好几天，晚上很黑", jitter=0.0002)
    make_overdue(live_app, late)
    log_in(page, "dandong_mj2")

    expect(card(page, late)).to_have_class(re.compile(r"\bis-late\b"))
    expect(card(page, late).locator(".countdown")).to_have_class(re.compile(r"\bis-overdue\b"))
    expect(card(page, late).locator(".countdown")).to_contain_text("超时")
    expect(card(page, fire).locator(".countdown")).to_contain_text("剩")
    expect(card(page, fire)).to_contain_text("137****0001")  # the resident, masked
    expect(card(page, lamp_again)).to_contain_text("疑似重复")
    shot(page, screenshots, "01-queue")

    card(page, fire).click()
    detail = page.locator(".desk-case")
    expect(detail.locator(".desk-photo img")).to_have_count(1)
    expect(detail.locator(".desk-photo img")).to_have_js_property("complete", True)
    expect(detail.locator(".desk-text")).to_contain_text("消防通道不通")
    voice = detail.locator(".desk-voice audio")
    expect(voice).to_have_count(1)
    served = page.request.get(voice.get_attribute("src"))  # the signed link the <audio> plays
    assert served.status == 200
    assert served.headers["content-type"] == "audio/ogg"
    detail.get_by_role("button", name="签收").click()
    expect(detail.locator(".case-sub")).to_contain_text("已签收")
    detail.get_by_role("button", name="答复群众").click()
    dialog = page.locator("dialog[open]")
    dialog.locator("textarea[name='body']").fill("已通知物业今天清理楼道，明天民警回访。")
    dialog.get_by_role("button", name="发送").click()
    expect(detail.locator(".desk-msg-staff")).to_contain_text("已通知物业今天清理楼道")
    expect(detail.locator(".case-sub")).to_contain_text("已答复")
    shot(page, screenshots, "02-detail-replied")

    card(page, noise).click()
    detail.get_by_role("button", name="分流治理部门").click()
    dialog = page.locator("dialog[open]")
    dialog.get_by_role("button", name="分流").click()
    # Handed to the town's 综治中心, it is no longer the station's: it leaves the station's queue.
    expect(page.locator(".toast", has_text="已转出，本单位不再可见")).to_be_visible()
    expect(card(page, noise)).to_have_count(0)
    with live_app.services.db.session() as session:
        row = session.get(DeskRequest, noise)
        assert row is not None
        assert row.route is Route.GOVERNANCE

    card(page, lamp_again).click()
    detail.get_by_role("button", name="合并重复").click()
    dialog = page.locator("dialog[open]")
    expect(dialog.locator(".desk-candidates")).to_contain_text(f"#{lamp}")
    shot(page, screenshots, "03-merge-candidates")
    dialog.get_by_role("button", name="合并").click()
    expect(detail.locator(".case-sub")).to_contain_text("已合并")
    with live_app.services.db.session() as session:
        merged = session.get(DeskRequest, lamp_again)
        assert merged is not None
        assert merged.merged_into_id == lamp


def test_a_governance_department_sees_only_what_was_sent_to_it_and_closes_it(
    desktop: Any, live_app: LiveApp, screenshots: Path
) -> None:
    page = desktop
    dog = post(live_app, "13700000011", Category.NUISANCE, "邻居家的狗半夜一直叫。", topic=Topic.DOG, photo=True)
    police = post(live_app, "13700000012", Category.CONSULTATION, "孩子上户口要带什么？", topic=Topic.HOUSEHOLD)
    log_in(page, "dandong_zz")
    expect(page.locator(".desk-intro")).to_contain_text("丹东综治中心")
    expect(card(page, dog)).to_be_visible()
    expect(card(page, police)).to_have_count(0)
    with live_app.services.db.session() as session:
        ours = session.scalars(select(DeskRequest.id).where(DeskRequest.route == Route.GOVERNANCE)).all()
    assert dog in ours

    card(page, dog).click()
    detail = page.locator(".desk-case")
    detail.get_by_role("button", name="签收").click()
    expect(detail.locator(".case-sub")).to_contain_text("已签收")
    detail.get_by_role("button", name="办结/关闭").click()
    dialog = page.locator("dialog[open]")
    dialog.locator("textarea[name='answer']").fill("网格员已上门劝导，犬主承诺夜间将狗关在室内。")
    dialog.get_by_role("button", name="确定").click()
    expect(detail.locator(".case-sub")).to_contain_text("已办结")
    expect(detail.locator(".desk-msg-staff")).to_contain_text("网格员已上门劝导")
    shot(page, screenshots, "04-governance-closed")
    with live_app.services.db.session() as session:
        row = session.get(DeskRequest, dog)
        assert row is not None
        assert row.is_open is False
