"""审计 in the staff UI: the admin reveals a resident's request and then finds that read in the access log by
filtering (subject, purpose, date), with the reader's name and unit, the fields and the purpose; in the
登录记录 tab the admin finds an account's failed sign-ins, its role change (by whom) and its password change;
a station head has no such screen."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import expect

from pingan.core.identity import create_user
from pingan.core.models import Role
from pingan.desk.rules.kinds import Category
from tests.browser.conftest import LiveApp, open_screen
from tests.browser.test_staff_desk import post
from tests.desk_county import PASSWORD


def log_in(page: Any, username: str) -> None:
    page.goto("/static/index.html#/login")
    page.locator("input[name='username']").fill(username)
    page.locator("input[name='password']").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.locator(".topbar .nav")).to_be_visible()


def test_the_admin_finds_their_own_read_of_a_request_in_the_audit_screen(
    desktop: Any, live_app: LiveApp, screenshots: Path
) -> None:
    page = desktop
    request_id = post(live_app, "13700000501", Category.DISPUTE, "楼上住户深夜装修，多次协商无果。")
    log_in(page, "admin")

    page.goto(f"/static/index.html#/desk/{request_id}")
    page.get_by_role("button", name="显示完整信息").click()
    page.locator(".dlg-audit select[name='purpose']").select_option("调解纠纷")
    page.get_by_role("button", name="确认查看（记录在案）").click()
    expect(page.get_by_role("button", name="隐藏")).to_be_visible()

    open_screen(page, "audit")
    expect(page.locator(".nav-link[data-screen='audit']")).to_have_class(re.compile(r"\bis-active\b"))
    filters = page.locator("form.audit-filters")
    filters.locator("select[name='subject_type']").select_option("desk_request")
    filters.locator("input[name='subject_id']").fill(str(request_id))
    filters.locator("input[name='q']").fill("调解")
    today = page.evaluate(
        "() => new Intl.DateTimeFormat('en-CA', {timeZone: 'Asia/Shanghai'}).format(new Date())"
    )  # YYYY-MM-DD
    filters.locator("input[name='start']").fill(today)
    filters.locator("input[name='end']").fill(today)
    filters.get_by_role("button", name="查询").click()

    rows = page.locator(".audit-table tbody tr")
    expect(rows).to_have_count(1)
    row = rows.first
    expect(row).to_contain_text("系统管理员")
    expect(row).to_contain_text("群众诉求")
    expect(row).to_contain_text(f"编号 {request_id}")
    expect(row).to_contain_text("手机、住址、位置")
    expect(row).to_contain_text("调解纠纷")
    expect(page.locator(".audit-count")).to_contain_text("共 1 条")
    page.screenshot(path=str(screenshots / "audit-01-access-log-filtered.png"))

    # Another reader's name finds nothing: the filter really narrows.
    filters.locator("input[name='user']").fill("dandong_sz")
    filters.get_by_role("button", name="查询").click()
    expect(rows).to_have_count(0)
    expect(page.locator(".audit-pane .empty")).to_have_text("没有符合条件的查看记录")


def test_a_station_head_has_no_audit_screen(desktop: Any, live_app: LiveApp) -> None:
    page = desktop
    log_in(page, "dandong_sz")
    expect(page.locator(".nav-link[data-screen='audit']")).to_have_count(0)
    page.goto("/static/index.html#/audit")
    expect(page).not_to_have_url(re.compile(r"#/audit"))
    expect(page.locator(".audit-table")).to_have_count(0)


def test_the_admin_reads_an_accounts_failed_sign_ins_role_change_and_password_change(
    desktop: Any, live_app: LiveApp, screenshots: Path
) -> None:
    with live_app.services.db.session() as session:  # an account of its own: its failures lock nobody else out
        user_id = create_user(
            session, "shipu_audit", PASSWORD, role=Role.OFFICER, display_name="石浦 审计民警", unit_id=None,
            now=datetime.now(UTC),
        ).id  # fmt: skip
    for _ in range(2):
        wrong = httpx.post(f"{live_app.url}/api/v1/auth/token", data={"username": "shipu_audit", "password": "x"})
        assert wrong.status_code == 401
    live_app.call("shipu_audit", "POST", "/auth/password", {"old_password": PASSWORD, "new_password": PASSWORD + "!"})
    live_app.call("admin", "PATCH", f"/users/{user_id}", {"role": "station_head"})

    page = desktop
    log_in(page, "admin")
    page.goto("/static/index.html#/audit")
    page.locator(".audit-tabs").get_by_role("button", name="登录记录").click()
    expect(page.locator(".audit-pane")).to_have_attribute("data-tab", "events")
    filters = page.locator("form.audit-filters")
    filters.locator("input[name='user']").fill("审计民警")
    filters.get_by_role("button", name="查询").click()
    rows = page.locator(".audit-table tbody tr")
    expect(rows).to_have_count(5)  # newest first: role change, password change, the sign-in it took, 2 failures
    expect(rows.nth(0)).to_contain_text("角色变更")
    expect(rows.nth(0)).to_contain_text("民警 → 所长")
    expect(rows.nth(0)).to_contain_text("系统管理员")
    expect(rows.nth(1)).to_contain_text("修改密码")
    expect(rows.nth(1)).to_contain_text("本人")
    expect(rows.nth(2)).to_contain_text("登录")
    expect(rows.nth(3)).to_contain_text("登录失败")
    expect(page.locator(".audit-count")).to_contain_text("共 5 条")
    page.screenshot(path=str(screenshots / "audit-02-login-records.png"))

    filters.locator("select[name='kind']").select_option("login_failed")
    filters.get_by_role("button", name="查询").click()
    expect(rows).to_have_count(2)
    expect(page.locator(".audit-count")).to_contain_text("共 2 条")
    tomorrow = page.evaluate(
        "() => new Intl.DateTimeFormat('en-CA', {timeZone: 'Asia/Shanghai'}).format(new Date(Date.now() + 864e5))"
    )
    filters.locator("input[name='start']").fill(tomorrow)
    filters.get_by_role("button", name="查询").click()
    expect(rows).to_have_count(0)
    expect(page.locator(".audit-pane .empty")).to_have_text("没有符合条件的登录记录")
