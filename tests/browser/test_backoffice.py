"""The back office in the staff UI, role by role: the header's search finds a warning by a phone typed in
another format (and another station's officer finds nothing); a station head assigns a task and the officer
has it; an admin adds an indicator and the next matching event hits it; exports hold the rows shown (the
downloaded CSV and XLSX are parsed); a list's filters live in the URL and survive reload and back.

Residents of this module use phones 1357777xxxx and indicators 1717777xxxx, used nowhere else.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import select

from pingan.core.models import AccessLog, Task, User
from tests.browser.conftest import LiveApp
from tests.browser.test_fraud_loop import (
    DANDONG,
    DANXI,
    dialog_button,
    ensure_analyst,
    log_in,
    log_out,
    register,
    report,
)


def shot(page: Any, screenshots: Path, name: str) -> None:
    page.screenshot(path=str(screenshots / f"backoffice-{name}.png"), full_page=True)


def analyst(app: LiveApp) -> None:
    with app.services.db.session() as session:
        exists = session.scalar(select(User.id).where(User.username == "fzzx"))
    if exists is None:
        ensure_analyst(app)


def search_for(page: Any, text: str) -> None:
    box = page.locator(".header-search-input")
    box.fill(text)
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"#/search\?q="))


def test_search_by_a_phone_in_another_format_finds_the_warning(
    desktop: Any, live_app: LiveApp, screenshots: Path
) -> None:
    analyst(live_app)
    register(live_app, DANDONG, "周小梅", "13577772001", 1950)
    [lead] = report(live_app, ("bo-search-1", "13577772001"))
    page = desktop
    log_in(page, "fzzx", "queue")
    search_for(page, "+86 135-7777-2001")
    hit = page.locator(f".search-hit[data-type='warning'][data-id='{lead.warning_id}']")
    expect(hit).to_be_visible()
    expect(hit).to_contain_text("135****2001")
    expect(page.locator(".search-results")).not_to_contain_text("13577772001")
    expect(page.locator(".search-hit[data-type='person']")).to_contain_text("周**")
    shot(page, screenshots, "search")
    hit.get_by_role("button", name="显示完整信息").click()
    expect(hit.locator(".search-revealed")).to_contain_text("13577772001")
    with live_app.services.db.session() as session:
        reads = session.scalars(select(AccessLog).where(AccessLog.purpose.like(f"%预警 {lead.warning_id}%"))).all()
    assert len(reads) == 1
    log_out(page)
    # Full-width digits, as an IME types them, and another station's officer finds nothing.
    log_in(page, "danxi_mj1", "tasks")
    search_for(page, "１３５７７７７２００１")
    expect(page.locator(".search-results .empty")).to_contain_text("没有找到")
    expect(page.locator(".search-hit")).to_have_count(0)


def test_a_station_head_assigns_a_task_and_the_officer_sees_it(
    desktop: Any, live_app: LiveApp, screenshots: Path
) -> None:
    register(live_app, DANDONG, "吴大伯", "13577772002", 1948)
    [lead] = report(live_app, ("bo-dispatch-1", "13577772002"))
    page = desktop
    log_in(page, "dandong_sz", "dispatch")
    row = page.locator(f".dispatch-tasks tr[data-id='{lead.task_id}']")
    expect(row).to_be_visible()
    officer_row = page.locator(".load-table tr", has_text="dandong_mj1")
    before = int(officer_row.locator("[data-role='open']").inner_text())
    with live_app.services.db.session() as session:
        mj1 = session.scalar(select(User.id).where(User.username == "dandong_mj1"))
    row.locator("select[name='assignee_id']").select_option(str(mj1))
    row.get_by_role("button", name="指派").click()
    expect(officer_row.locator("[data-role='open']")).to_have_text(str(before + 1))
    expect(page.locator(f".dispatch-tasks tr[data-id='{lead.task_id}'] [data-role='assignee']")).not_to_have_text(
        "未指派"
    )
    shot(page, screenshots, "dispatch")
    with live_app.services.db.session() as session:
        task = session.get(Task, lead.task_id)
        assert task is not None
        assert task.assignee_id == mj1
    log_out(page)
    log_in(page, "dandong_mj1", "tasks")
    page.get_by_role("button", name="我的").click()
    expect(page.locator(f".task-card[data-id='{lead.task_id}']")).to_be_visible()
    log_out(page)
    # Another station's head has no say over it, and no view of it.
    log_in(page, "danxi_sz", "dispatch")
    expect(page.locator(".dispatch-screen")).to_be_visible()
    expect(page.locator(f".dispatch-tasks tr[data-id='{lead.task_id}']")).to_have_count(0)


def test_an_admin_adds_an_indicator_and_the_next_matching_event_hits_it(
    desktop: Any, live_app: LiveApp, screenshots: Path
) -> None:
    page = desktop
    log_in(page, "admin", "admin")
    page.get_by_role("button", name="添加指标").click()
    dialog = page.locator("dialog[open]")
    dialog.locator("select[name='kind']").select_option("phone")
    dialog.locator("input[name='value']").fill("+86 171-7777-0042")
    dialog.locator("input[name='note']").fill("群众举报的冒充客服号码")
    dialog_button(page, "保存")
    row = page.locator(".indicator-table tr", has_text="17177770042")
    expect(row).to_be_visible()
    expect(row.locator("[data-role='hits']")).to_have_text("0")
    register(live_app, DANXI, "郑阿姨", "13577772003", 1955)
    result = live_app.services.intake.ingest(
        [
            {
                "id": "bo-hit-1",
                "source": "telecom",
                "kind": "call",
                "at": live_app.services.clock.now().isoformat(),
                "subject_phone": "13577772003",
                "counterpart": "171 7777 0042",
                "duration_s": 95,
            }
        ]
    )
    assert result.rejected == []
    assert len(result.warnings_opened) == 1
    page.reload()
    expect(row.locator("[data-role='hits']")).to_have_text("1")
    row.locator("[data-role='hits']").click()
    expect(page.locator("dialog[open]")).to_contain_text("135****2003")
    shot(page, screenshots, "indicators-hits")
    page.locator("dialog[open] .dlg-foot .btn-ghost").click()
    shot(page, screenshots, "indicators")


def _shown_values(page: Any) -> list[str]:
    return [v.strip() for v in page.locator(".indicator-table [data-role='value']").all_inner_texts()]


def test_exports_hold_the_rows_shown(desktop: Any, live_app: LiveApp, screenshots: Path) -> None:
    with live_app.services.db.session() as session:
        from pingan.fraud.indicators import upsert_indicator
        from pingan.fraud.schemas import IndicatorIn

        for i in range(3):
            upsert_indicator(
                session,
                IndicatorIn.model_validate({"kind": "domain", "value": f"bo-export-{i}.example.cn", "note": "=1+1"}),
                live_app.services.clock.now(),
            )
    page = desktop
    log_in(page, "admin", "admin")
    page.goto("/static/index.html#/admin?tab=indicators&q=bo-export")
    expect(page.locator(".indicator-table tbody tr")).to_have_count(3)
    shown = _shown_values(page)
    with page.expect_download() as got:
        page.locator("[data-export='csv']").click()
    text = Path(got.value.path()).read_bytes().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["值（规范化）"] for r in rows] == shown
    assert {r["备注"] for r in rows} == {"'=1+1"}
    assert got.value.suggested_filename.endswith(".csv")
    with page.expect_download() as got_x:
        page.locator("[data-export='xlsx']").click()
    book = load_workbook(io.BytesIO(Path(got_x.value.path()).read_bytes()), read_only=True)
    sheet = list(book.worksheets[0].iter_rows(values_only=True))
    header = list(sheet[0])
    assert [r[header.index("值（规范化）")] for r in sheet[1:]] == shown
    page.emulate_media(media="print")
    shot(page, screenshots, "indicators-print")
    expect(page.locator(".topbar")).to_be_hidden()
    page.emulate_media(media="screen")


def test_list_filters_survive_reload_and_back(desktop: Any, live_app: LiveApp, screenshots: Path) -> None:
    page = desktop
    log_in(page, "admin", "admin")
    page.goto("/static/index.html#/admin?tab=users")
    expect(page.locator(".users-table")).to_be_visible()
    everyone = int(page.locator(".pager [data-role='total']").get_attribute("data-total") or 0)
    page.locator(".bo-pane input[name='q']").fill("dandong_mj")
    page.locator(".bo-pane input[name='q']").press("Enter")
    expect(page).to_have_url(re.compile(r"tab=users.*q=dandong_mj|q=dandong_mj.*tab=users"))
    expect(page.locator(".users-table tbody tr")).to_have_count(2)
    expect(page.locator(".pager [data-role='total']")).to_have_attribute("data-total", "2")
    page.reload()
    expect(page.locator(".bo-pane input[name='q']")).to_have_value("dandong_mj")
    expect(page.locator(".users-table tbody tr")).to_have_count(2)
    shot(page, screenshots, "users")
    page.go_back()
    expect(page.locator(".bo-pane input[name='q']")).to_have_value("")
    expect(page.locator(".pager [data-role='total']")).to_have_attribute("data-total", str(everyone))
    page.go_forward()
    expect(page.locator(".users-table tbody tr")).to_have_count(2)


def test_the_routing_preview_names_the_unit_and_a_push_goes_to_an_area(
    desktop: Any, live_app: LiveApp, screenshots: Path
) -> None:
    page = desktop
    log_in(page, "admin", "admin")
    page.goto("/static/index.html#/admin?tab=routing")
    page.locator("select[name='category']").select_option("nuisance")
    page.locator("select[name='topic']").select_option("dog")
    page.get_by_role("button", name="试算去向").click()
    expect(page.locator(".route-decision [data-role='unit']")).not_to_be_empty()
    shot(page, screenshots, "routing")
    page.goto("/static/index.html#/admin?tab=pushes")
    page.get_by_role("button", name="发布推送").click()
    dialog = page.locator("dialog[open]")
    dialog.locator("input[name='title']").fill("防范冒充客服诈骗")
    dialog.locator("textarea[name='body']").fill("近期有人冒充电商客服以退款为名诈骗，请勿扫码转账。")
    dialog.locator("label.check", has_text="丹东").locator("input").check()
    dialog_button(page, "发布")
    [sent] = [p for p in live_app.call("admin", "GET", "/desk/pushes") if p["title"] == "防范冒充客服诈骗"]
    row = page.locator(".pushes-table tr", has_text="防范冒充客服诈骗")
    expect(row.locator("[data-role='delivered']")).to_have_text(str(sent["delivered"]))
    expect(row).to_contain_text("丹东")
    shot(page, screenshots, "pushes")
    page.goto("/static/index.html#/admin?tab=robots")
    page.get_by_role("button", name="添加机器人").click()
    dialog = page.locator("dialog[open]")
    dialog.locator("input[name='name']").fill("丹东所值班群")
    dialog.locator("select[name='unit_id']").select_option(label="丹东派出所")
    dialog.locator("input[name='webhook']").fill("http://127.0.0.1:9/robot/send?access_token=secret-token-1")
    dialog_button(page, "保存")
    row = page.locator(".bo-pane tr", has_text="丹东所值班群")
    expect(row).to_contain_text("access_token=***")
    expect(page.locator(".bo-pane")).not_to_contain_text("secret-token-1")
    shot(page, screenshots, "robots")


def test_an_officer_s_worklist_export_holds_the_cards_shown_and_nothing_of_another_station(
    desktop: Any, live_app: LiveApp, screenshots: Path
) -> None:
    register(live_app, DANDONG, "冯阿公", "13577772004", 1946)
    register(live_app, DANXI, "陈阿婆", "13577772005", 1947)
    own, other = report(live_app, ("bo-export-w1", "13577772004"), ("bo-export-w2", "13577772005"))
    page = desktop
    log_in(page, "dandong_mj2", "tasks")
    expect(page.locator(f".task-card[data-id='{own.task_id}']")).to_be_visible()
    shown = {int(x) for x in page.locator(".task-card").evaluate_all("els => els.map(e => e.dataset.id)")}
    with page.expect_download() as got:
        page.locator(".list-pane [data-export='csv']").click()
    rows = list(csv.DictReader(io.StringIO(Path(got.value.path()).read_bytes().decode("utf-8-sig"))))
    exported = {int(r["任务编号"]) for r in rows}
    assert exported == shown
    assert other.task_id not in exported
    assert "13577772004" not in str(rows)
    shot(page, screenshots, "worklist-export")
