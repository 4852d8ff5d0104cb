"""平安E警通 in a phone-sized browser: a resident signs in with a texted code, finds their officer, asks
with a photo, a voice note and their location, reads the officer's reply and rates it; a barking dog
goes to the town's governance centre, which closes it; the emergency category says "call 110" at once.

Waits are on what the page shows (Playwright's auto-waiting `expect`), never on the clock.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from sqlalchemy import select

from pingan.core.models import Area, User
from pingan.demo.desk_sim import make_photo
from pingan.desk.models import DeskMedia, DeskRequest
from pingan.desk.rules.kinds import Category, Route
from tests.browser.conftest import LiveApp

PAGE = "/static/resident/index.html"


def shot(page: Any, screenshots: Path, name: str) -> None:
    """The whole page as a phone as tall as the page would show it (so the tab bar sits at the end)."""
    page.evaluate("window.scrollTo(0, 0); document.querySelectorAll('.toast').forEach((t) => t.remove())")
    size = page.viewport_size
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], height)})
    page.screenshot(path=str(screenshots / f"resident-{name}.png"))
    page.set_viewport_size(size)


def sign_in(page: Any, app: LiveApp, phone: str, screenshots: Path | None = None) -> None:
    page.goto(PAGE)
    expect(page.get_by_role("heading", name="手机号登录")).to_be_visible()
    page.get_by_label("手机号码").fill(phone)
    page.get_by_role("button", name="获取验证码").click()
    expect(page.locator(".login-note")).to_contain_text("验证码已发送")
    code = app.sms.last_code(phone)
    assert code is not None
    page.get_by_label("验证码").fill(code)
    if screenshots is not None:
        shot(page, screenshots, "01-sign-in")
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.locator(".hero-hello")).to_contain_text(phone[:3] + "****" + phone[7:])


def request_row(app: LiveApp, request_id: int) -> DeskRequest:
    with app.services.db.session() as session:
        row = session.get(DeskRequest, request_id)
        assert row is not None
        return row


def opened_request_id(page: Any) -> int:
    expect(page).to_have_url(re.compile(r"#/requests/\d+$"))
    return int(page.url.rsplit("/", 1)[-1])


def test_a_resident_asks_with_a_photo_and_location_reads_the_reply_and_rates_it(
    phone: Any, live_app: LiveApp, screenshots: Path, tmp_path: Path
) -> None:
    page = phone
    sign_in(page, live_app, "13600000001", screenshots)

    card = page.locator(".officer-card")
    expect(card.locator(".officer-name")).to_contain_text("王社区民警")
    expect(card).to_contain_text("按当前位置")
    expect(card).to_contain_text("丹东派出所")
    expect(page.locator(".call110 a[href='tel:110']")).to_be_visible()
    shot(page, screenshots, "02-home-officer")

    page.locator(".quick-item[data-category='hazard']").click()
    expect(page.locator(".cat-tile[data-category='hazard']")).to_have_attribute("aria-pressed", "true")
    page.get_by_role("button", name="其他隐患").click()
    page.get_by_label("诉求内容").fill("小区3号楼消防通道被电动车堵住了，晚上有人在楼道里充电。")
    photo = tmp_path / "fire-lane.png"
    photo.write_bytes(make_photo(random.Random(11), 160, 120))
    page.locator("input[name='photos']").set_input_files(str(photo))
    expect(page.locator(".thumb img")).to_have_count(1)
    page.get_by_role("button", name="使用我的位置").click()
    expect(page.locator(".locate-status")).to_contain_text("已定位")
    shot(page, screenshots, "03-compose")
    page.get_by_role("button", name="提交", exact=True).click()

    request_id = opened_request_id(page)
    expect(page.locator(".request-text")).to_contain_text("消防通道被电动车堵住")
    expect(page.locator(".media-photo img")).to_have_count(1)
    expect(page.locator(".handler-who")).to_contain_text("丹东派出所")
    shot(page, screenshots, "04-sent")
    row = request_row(live_app, request_id)
    lon, lat = live_app.officer_point
    assert row.category is Category.HAZARD
    assert row.media_count == 1
    assert row.lon is not None
    assert row.lat is not None
    assert abs(row.lon - lon) < 1e-5  # sent as WGS84 and stored as such: no GCJ-02 shift
    assert abs(row.lat - lat) < 1e-5
    with live_app.services.db.session() as session:
        media = session.scalar(select(DeskMedia).where(DeskMedia.request_id == request_id))
        assert media is not None
        assert media.mime == "image/png"

    live_app.call("dandong_mj2", "POST", f"/desk/staff/requests/{request_id}/sign")
    live_app.call(
        "dandong_mj2",
        "POST",
        f"/desk/staff/requests/{request_id}/reply",
        {"body": "您好，已联系物业清理消防通道，并对楼道充电的住户进行了安全教育。"},
    )
    page.reload()
    expect(page.locator(".msg-staff .msg-body")).to_contain_text("已联系物业清理消防通道")
    expect(page.locator(".msg-staff .msg-who")).to_contain_text("王社区民警")
    expect(page.locator(".chip.st-answered")).to_have_text("已答复")
    rate = page.locator(".rate-card")
    expect(rate).to_be_visible()
    shot(page, screenshots, "05-reply")

    rate.get_by_role("button", name="5星 非常满意").click()
    rate.get_by_label("评价内容").fill("处理很快，谢谢王警官！")
    rate.get_by_role("button", name="提交评价").click()
    expect(page.locator(".rated .stars-shown")).to_have_attribute("aria-label", "5星")
    expect(page.locator(".chip.st-done")).to_have_text("已办结")
    shot(page, screenshots, "06-rated")
    rated = request_row(live_app, request_id)
    assert (rated.rating, rated.rating_comment, rated.is_open) == (5, "处理很快，谢谢王警官！", False)

    page.locator(".tab[data-screen='requests']").click()
    expect(page.locator(f".request-row[data-id='{request_id}']")).to_contain_text("已评价")
    shot(page, screenshots, "07-my-requests")


def test_a_barking_dog_goes_to_the_governance_centre_which_closes_it(
    phone: Any, live_app: LiveApp, screenshots: Path
) -> None:
    page = phone
    sign_in(page, live_app, "13600000002")
    page.locator(".quick-item[data-category='nuisance']").click()
    page.get_by_role("button", name="犬类管理").click()
    expect(page.locator(".cat-hint")).to_contain_text("分流至属地治理部门")
    page.get_by_label("诉求内容").fill("楼下邻居的狗每天半夜一直叫，已经一个星期了。")
    page.get_by_role("button", name="使用我的位置").click()
    expect(page.locator(".locate-status")).to_contain_text("已定位")
    page.get_by_role("button", name="提交", exact=True).click()

    request_id = opened_request_id(page)
    handler = page.locator(".handler.is-diverted")
    expect(handler).to_contain_text("已分流至")
    expect(handler.locator(".handler-who")).to_contain_text("丹东综治中心")
    shot(page, screenshots, "08-dog-diverted")
    row = request_row(live_app, request_id)
    assert row.route is Route.GOVERNANCE

    live_app.call("dandong_zz", "POST", f"/desk/staff/requests/{request_id}/sign")
    live_app.call(
        "dandong_zz",
        "POST",
        f"/desk/staff/requests/{request_id}/close",
        {"answer": "网格员已上门，犬主承诺夜间将狗关在室内，我们一周后回访。"},
    )
    page.reload()
    expect(page.locator(".chip.st-done")).to_have_text("已办结")
    expect(page.locator(".msg-staff .msg-who")).to_contain_text("丹东综治中心")
    expect(page.locator(".msg-staff .msg-body")).to_contain_text("网格员已上门")
    expect(page.locator(".msg-system").last).to_contain_text("丹东综治中心办结")
    expect(page.locator(".rate-card")).to_be_visible()
    shot(page, screenshots, "09-dog-closed")
    assert request_row(live_app, request_id).is_open is False


def test_the_emergency_category_says_call_110_at_once_and_still_sends(
    phone: Any, live_app: LiveApp, screenshots: Path
) -> None:
    page = phone
    sign_in(page, live_app, "13600000003")
    page.locator(".quick-item[data-category='emergency']").click()
    notice = page.locator(".emergency-box .call110")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("紧急情况请立即拨打110")
    expect(notice.locator("a")).to_have_attribute("href", "tel:110")
    submit = page.get_by_role("button", name="提交紧急求助")
    expect(submit).to_be_visible()
    shot(page, screenshots, "10-emergency")

    page.get_by_label("诉求内容").fill("家里老人走失了，穿蓝色外套，早上出门一直没回来！")
    page.get_by_role("button", name="使用我的位置").click()
    expect(page.locator(".locate-status")).to_contain_text("已定位")
    submit.click()
    request_id = opened_request_id(page)
    expect(page.locator(".request-view > .call110 a[href='tel:110']")).to_be_visible()
    expect(page.locator(".msg-system").first).to_contain_text("110")
    shot(page, screenshots, "11-emergency-sent")
    row = request_row(live_app, request_id)
    assert row.category is Category.EMERGENCY
    assert row.route is Route.STATION


def test_a_voice_note_is_recorded_and_sent(phone: Any, live_app: LiveApp) -> None:
    page = phone
    sign_in(page, live_app, "13600000004")
    page.locator(".quick-item[data-category='consultation']").click()
    record = page.locator(".attach-btn", has_text="录语音")
    record.click()
    stop = page.locator(".attach-btn.is-recording")
    expect(stop).to_contain_text("停止")
    stop.click()
    expect(page.locator(".attachments audio")).to_have_count(1)
    page.get_by_role("button", name="提交", exact=True).click()
    request_id = opened_request_id(page)
    expect(page.locator(".media audio")).to_have_count(1)
    with live_app.services.db.session() as session:
        media = session.scalar(select(DeskMedia).where(DeskMedia.request_id == request_id))
        assert media is not None
        assert media.kind.value == "audio"


def test_alerts_arrive_unread_and_are_marked_read_when_opened(phone: Any, live_app: LiveApp, screenshots: Path) -> None:
    page = phone
    sign_in(page, live_app, "13600000005")
    expect(page.locator(".officer-name")).to_be_visible()  # the profile learned its place from the location
    page.locator(".quick-item[data-category='fraud']").click()
    page.get_by_label("诉求内容").fill("接到自称快递客服的电话，让我下载会议软件共享屏幕。")
    page.get_by_role("button", name="使用我的位置").click()
    expect(page.locator(".locate-status")).to_contain_text("已定位")
    page.get_by_role("button", name="提交", exact=True).click()
    opened_request_id(page)
    station = live_app.county.stations["330225001"]
    live_app.call(
        "qzzx",
        "POST",
        "/desk/pushes",
        {
            "kind": "fraud",
            "title": "警惕冒充客服诈骗",
            "body": "客服不会让您下载会议软件或共享屏幕，请勿转账。",
            "area_ids": [station],
        },
    )
    page.reload()
    badge = page.locator(".tab-badge")
    expect(badge).to_be_visible()
    page.locator(".tab[data-screen='inbox']").click()
    item = page.locator(".alert-row", has_text="警惕冒充客服诈骗")
    expect(item).to_have_class(re.compile(r"\bis-unread\b"))
    shot(page, screenshots, "12-alerts")
    item.click()
    expect(item).not_to_have_class(re.compile(r"\bis-unread\b"))
    expect(badge).to_be_hidden()


def test_a_message_from_the_officers_card_reaches_that_officer_wherever_the_resident_stands(
    phone: Any, live_app: LiveApp, screenshots: Path
) -> None:
    page = phone
    sign_in(page, live_app, "13600000004")
    card = page.locator(".officer-card")
    expect(card.locator(".officer-name")).to_contain_text("王社区民警")
    with live_app.services.db.session() as session:
        officer = session.scalar(select(User).where(User.username == "dandong_mj2"))
        danxi = session.scalar(select(Area.id).where(Area.code == "330225002"))
        elsewhere = session.scalar(select(Area.name).where(Area.parent_id == danxi).order_by(Area.id))
        assert officer is not None
        assert elsewhere is not None

    card.get_by_role("link", name="给民警留言").click()
    expect(page.locator(".compose-to")).to_contain_text("王社区民警")
    page.get_by_role("button", name="提交", exact=True).click()
    error = page.locator(".form-error")
    expect(error).to_contain_text("请填写诉求内容")
    page.get_by_label("诉求内容").fill("王警官您好，想问一下居住证续签的事。")
    expect(error).to_be_hidden()  # the problem is fixed: the message goes
    page.get_by_label("地址").fill(f"丹西街道{elsewhere}中街8号")  # written from another town
    shot(page, screenshots, "12-message-from-card")
    page.get_by_role("button", name="提交", exact=True).click()

    request_id = opened_request_id(page)
    expect(page.locator(".handler-who")).to_contain_text("王社区民警")
    row = request_row(live_app, request_id)
    assert row.handler_id == officer.id
    assert row.unit_id == officer.unit_id
    assert row.station_id == danxi, "the place is still where the resident stood"
