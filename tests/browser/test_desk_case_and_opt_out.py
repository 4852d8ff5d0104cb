"""Two paths walked as their users walk them: an officer on the desk queue opens the case of a resident already
defrauded (已被骗，转立案) and finds it on the 案件 screen; a resident on /m stops the anti-fraud campaign texts
and an officer records another's wish on request; the admin reads the opt-out list, masked, then revealed.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from sqlalchemy import select

from pingan.desk.rules.kinds import Category
from pingan.money.models import Case, SmsOptOut
from tests.browser.conftest import LiveApp, open_screen
from tests.browser.test_resident_flows import shot as resident_shot
from tests.browser.test_resident_flows import sign_in
from tests.browser.test_staff_desk import card, post
from tests.desk_county import PASSWORD

STORY = "有人在微信上自称客服，说我的快递丢了要理赔，让我下载了一个APP开屏幕共享，还让我转账到 6222 0212 3456 7890 123，对方电话 170-1234-5678。"


def shot(page: Any, screenshots: Path, name: str) -> None:
    page.screenshot(path=str(screenshots / f"money4-{name}.png"))


def staff_log_in(page: Any, username: str, screen: str) -> None:
    page.goto("/static/index.html#/" + screen)
    page.locator("input[name='username']").fill(username)
    page.locator("input[name='password']").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    open_screen(page, screen)
    expect(page.locator(f".nav-link[data-screen='{screen}']")).to_have_class(re.compile(r"\bis-active\b"))


def test_an_officer_opens_the_case_of_a_defrauded_resident_from_the_desk(
    desktop: Any, live_app: LiveApp, screenshots: Path
) -> None:
    page = desktop
    rid = post(live_app, "13700004001", Category.CONSULTATION, STORY)
    staff_log_in(page, "dandong_mj2", "desk")
    card(page, rid).click()
    detail = page.locator(".desk-case")
    expect(detail.locator(".desk-text")).to_contain_text("理赔")
    detail.get_by_role("button", name="已被骗，转立案").click()
    dialog = page.locator("dialog[open]")
    expect(dialog).to_contain_text("以提交人为受害人")
    dialog.get_by_role("button", name="立案").click()  # no loss yet: refused in the dialog
    expect(dialog.locator(".dlg-error")).to_contain_text("请填写损失金额")
    dialog.locator("input[name='loss_yuan']").fill("8600")
    when = dialog.locator("input[name='occurred_at']")
    when.fill("2026年11月30日 9:05")  # read whatever the browser's locale, shown back as YYYY-MM-DD HH:mm
    when.blur()
    expect(when).to_have_value("2026-11-30 09:05")
    shot(page, screenshots, "01-open-case-dialog")
    dialog.get_by_role("button", name="立案").click()
    expect(page.locator("dialog[open]")).to_have_count(0)
    link = detail.locator(".desk-case-link a")
    expect(link).to_contain_text("案件 #")
    expect(detail.locator(".desk-case-link")).to_contain_text("8,600")
    expect(detail.get_by_role("button", name="已被骗，转立案")).to_have_count(0)  # once per request
    expect(detail.locator(".desk-msg.is-internal")).to_contain_text("已被骗，转立案")
    expect(detail.locator(".desk-msg-system").last).to_contain_text("已立案")
    shot(page, screenshots, "02-case-opened")
    with live_app.services.db.session() as session:
        case = session.scalar(select(Case).where(Case.source_id == str(rid)))
        assert case is not None
        assert (case.loss_fen, case.victim_phone) == (860_000, "13700004001")
        occurred = case.occurred_at
        assert occurred is not None
        occurred = occurred if occurred.tzinfo else occurred.replace(tzinfo=UTC)
        assert occurred == datetime(2026, 11, 30, 1, 5, tzinfo=UTC)  # 09:05 in Shanghai
        case_id = case.id
    assert link.inner_text().strip().endswith(str(case_id))
    link.click()
    expect(page).to_have_url(re.compile(rf"#/cases/{case_id}$"))
    expect(page.locator("body")).to_contain_text("17012345678")  # the identifier read from the narrative
    shot(page, screenshots, "03-case-screen")


def test_a_resident_stops_campaign_texts_on_m_and_the_admin_sees_the_list(
    phone: Any, browser: Any, live_app: LiveApp, screenshots: Path
) -> None:
    resident = "13700004002"
    sign_in(phone, live_app, resident)
    phone.get_by_role("link", name="我的", exact=True).click()
    box = phone.locator("input[name='campaign_sms']")
    expect(box).to_be_enabled()
    expect(box).to_be_checked()
    box.uncheck()
    expect(phone.locator(".sms-note")).to_contain_text("已退订反诈宣传短信")
    resident_shot(phone, screenshots, "20-sms-opt-out")
    with live_app.services.db.session() as session:
        assert session.get(SmsOptOut, resident) is not None

    errors: list[str] = []
    contexts: list[Any] = []

    def desktop_page() -> Any:
        context = browser.new_context(
            viewport={"width": 1440, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai", base_url=live_app.url
        )
        context.set_default_timeout(15000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        return page

    try:
        # An officer records another resident's wish, asked on the phone.
        page = desktop_page()
        staff_log_in(page, "dandong_mj1", "desk")
        page.get_by_role("button", name="短信退订登记").click()
        dialog = page.locator("dialog[open]")
        dialog.locator("input[name='phone']").fill("137 0000 4003")
        dialog.locator("input[name='note']").fill("老人来电要求不再接收")
        dialog.get_by_role("button", name="登记").click()
        expect(page.locator(".toast").last).to_contain_text("137****4003 已退订宣传短信")
        page = desktop_page()
        staff_log_in(page, "admin", "admin")
        page.get_by_role("button", name="短信退订", exact=True).click()
        table = page.locator(".optouts-table")
        expect(table).to_contain_text("137****4002")
        expect(table).to_contain_text("137****4003")
        expect(table).to_contain_text("民警代为登记")
        expect(table).not_to_contain_text("13700004002")
        shot(page, screenshots, "10-opt-outs-masked")
        page.get_by_role("button", name="显示完整号码").click()
        page.locator("dialog[open]").get_by_role("button", name="确认查看（记录在案）").click()
        expect(table).to_contain_text("13700004002")
        expect(page.locator(".opt-status")).to_contain_text("本次查看已记录")
        shot(page, screenshots, "11-opt-outs-revealed")
    finally:
        for context in contexts:
            context.close()
    assert errors == [], f"the page threw: {errors}"
