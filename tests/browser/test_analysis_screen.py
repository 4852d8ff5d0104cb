"""研判分析 in the staff UI: the anti-fraud centre sees this week's cases by type with 同比/环比, the hot type, the
age groups and the groups being hit, sends a targeted campaign to the elderly of one station from the hot type
and finds it with its deliveries; a station head sees the screen for their station, an officer without the
campaign button; the 数据 screen shows the interception figures."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from sqlalchemy import select

from pingan.core.models import Unit, User
from tests.browser.conftest import LiveApp, open_screen
from tests.browser.test_audit_screen import log_in
from tests.browser.test_backoffice import analyst

OFFICIALS = "对方自称公安局民警，说我涉嫌洗钱，要求把钱转到安全账户，并下载会议软件屏幕共享。"


def _dandong_area(live_app: LiveApp) -> int:
    with live_app.services.db.session() as s:
        area = s.scalar(select(Unit.area_id).join(User, User.unit_id == Unit.id).where(User.username == "dandong_sz"))
    assert area is not None
    return int(area)


def _cases(live_app: LiveApp, area_id: int) -> None:
    now = datetime.now(UTC)
    for i in range(4):
        live_app.call(
            "admin", "POST", "/cases",
            {"id": f"ui-an-{i}", "reported_at": (now - timedelta(hours=6 * i + 1)).isoformat(),
             "loss_yuan": f"{8000 + i * 1111}.50", "narrative": f"{OFFICIALS}（第{i + 1}起）",
             "victim": {"name": "王阿婆", "id_number": f"33022519500101{i:03d}X"}, "area_id": area_id},
        )  # fmt: skip


def test_the_centre_studies_the_hot_type_and_warns_the_elderly_of_a_station(
    desktop: Any, live_app: LiveApp, screenshots: Path
) -> None:
    page = desktop
    analyst(live_app)
    area_id = _dandong_area(live_app)
    _cases(live_app, area_id)
    log_in(page, "fzzx")
    open_screen(page, "analysis")
    expect(page.locator(".nav-link[data-screen='analysis']")).to_have_class(re.compile(r"\bis-active\b"))
    types = page.locator("[data-panel='types'] tbody tr[data-type='impersonate_officials']")
    expect(types).to_contain_text("冒充公检法")
    expect(types.locator("td").nth(1)).to_have_text("4")
    hot = page.locator("[data-panel='hot'] .hot-item[data-type='impersonate_officials']")
    expect(hot).to_contain_text("本周 4 起")
    expect(page.locator("[data-panel='ages']")).to_contain_text("60岁及以上")
    groups = page.locator("[data-panel='groups'] tbody tr").first
    expect(groups).to_contain_text("60岁及以上")
    expect(page.locator(".chart-box[data-chart='analysis-trend'] svg")).to_have_count(1)
    page.screenshot(path=str(screenshots / "analysis-01-overview.png"), full_page=True)

    groups.get_by_role("button", name="发起宣防").click()
    dialog = page.locator("dialog.dlg")
    expect(dialog.locator("select[name='group']")).to_have_value("elderly")
    expect(dialog.locator("select[name='area_ids']")).to_have_value(str(area_id))
    page.screenshot(path=str(screenshots / "analysis-02-campaign-dialog.png"))
    dialog.get_by_role("button", name="发送").click()
    expect(page.locator("#toasts")).to_contain_text("已发送")
    row = page.locator("[data-panel='campaigns'] tbody tr").first
    expect(row).to_contain_text("冒充公检法")
    expect(row).to_contain_text("60岁及以上老年人")
    page.screenshot(path=str(screenshots / "analysis-03-campaign-sent.png"), full_page=True)

    # The 数据 screen has the interception figures, cases counted.
    open_screen(page, "figures")
    panel = page.locator("[data-panel='interception']")
    expect(panel.locator("[data-figure='cases'] .card-value")).not_to_have_text("0")
    expect(panel.locator(".tbl-interception tbody tr").first).to_be_visible()
    panel.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / "analysis-04-interception.png"))


def test_a_station_head_sees_their_station_and_an_officer_cannot_send_campaigns(
    desktop: Any, live_app: LiveApp, screenshots: Path
) -> None:
    page = desktop
    _cases(live_app, _dandong_area(live_app))
    log_in(page, "dandong_sz")
    open_screen(page, "analysis")
    expect(page.locator("[data-panel='types'] tbody tr[data-type='impersonate_officials']")).to_be_visible()
    expect(page.locator("[data-panel='hot'] button", has_text="发起宣防").first).to_be_visible()
    page.screenshot(path=str(screenshots / "analysis-05-station-head.png"), full_page=True)
    page.locator(".topbar").get_by_role("button", name=re.compile("退出")).click()
    log_in(page, "dandong_mj1")
    open_screen(page, "analysis")
    expect(page.locator("[data-panel='types'] tbody tr[data-type='impersonate_officials']")).to_be_visible()
    expect(page.locator("button", has_text="发起宣防")).to_have_count(0)
    expect(page.locator("[data-panel='campaigns']")).to_be_hidden()
    page.screenshot(path=str(screenshots / "analysis-06-officer.png"), full_page=True)


def test_a_station_officer_takes_up_a_case_on_the_worklist_and_records_a_suspect(
    desktop: Any, live_app: LiveApp, screenshots: Path
) -> None:
    page = desktop
    made = live_app.call(
        "admin", "POST", "/cases",
        {"id": "ui-wf-1", "reported_at": datetime.now(UTC).isoformat(), "loss_yuan": "6600",
         "narrative": "网上刷单被骗，对方QQ 778899665", "area_id": _dandong_area(live_app)},
    )  # fmt: skip
    task_id = made["task_id"]
    log_in(page, "dandong_mj1")
    page.goto(f"/static/index.html#/cases/{made['id']}")
    actions = page.locator(".case-actions")
    expect(actions.get_by_role("button", name="破案")).to_have_count(0)  # a station head's, and only with a suspect
    actions.get_by_role("button", name="受理侦办").click()
    page.locator("dialog.dlg").get_by_role("button", name="确认受理").click()
    expect(page.locator("#toasts")).to_contain_text("受理侦办：已记录")
    actions.get_by_role("button", name="记录嫌疑人").click()
    dialog = page.locator("dialog.dlg")
    dialog.locator("[name='name']").fill("刘某某")
    dialog.locator("[name='role']").fill("卡农")
    page.screenshot(path=str(screenshots / "analysis-07-suspect-dialog.png"))
    dialog.get_by_role("button", name="保存嫌疑人").click()
    expect(page.locator(".case-suspects")).to_contain_text("刘**（卡农） 在逃")  # masked
    expect(page.locator(".case-task")).to_contain_text("侦办中")
    expect(page.locator(".case-task")).to_contain_text(f"侦办任务 #{task_id}")
    page.screenshot(path=str(screenshots / "analysis-08-case-with-suspect.png"))
