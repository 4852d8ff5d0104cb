"""止付冻结 in the staff UI: the 反诈中心 sends an emergency stop to a bank from the screen; the bank's liaison
signs in, sees only their own bank's requests (another bank's is not found), answers the stop and sees the
48-hour hold start; screenshots of both sides are kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from sqlalchemy import select

from pingan.core.identity import create_user
from pingan.core.models import Role, Unit, UnitKind
from tests.browser.conftest import LiveApp, open_screen
from tests.browser.test_audit_screen import log_in
from tests.desk_county import PASSWORD


def _banks(live_app: LiveApp) -> dict[str, int]:
    """Two banks with a liaison each, and a 反诈中心 analyst (made once per live app)."""
    ids: dict[str, int] = {}
    now = live_app.services.clock.now()
    with live_app.services.db.session() as session:
        for code, name in (("bank-abc", "农业银行象山支行"), ("bank-icbc", "工商银行象山支行")):
            unit = session.scalar(select(Unit).where(Unit.code == code))
            if unit is None:
                unit = Unit(code=code, name=name, kind=UnitKind.BANK)
                session.add(unit)
                session.flush()
            ids[code] = unit.id
        afc = session.scalar(select(Unit.id).where(Unit.kind == UnitKind.ANTI_FRAUD_CENTRE))
        for username, role, unit_id, name in (
            ("abc_liaison", Role.PARTNER, ids["bank-abc"], "农行 刘联络员"),
            ("icbc_liaison", Role.PARTNER, ids["bank-icbc"], "工行 陈联络员"),
            ("fzzx_pay", Role.ANALYST, afc, "反诈中心 周研判"),
        ):
            create_user(session, username, PASSWORD, role=role, display_name=name, unit_id=unit_id, now=now)
    return ids


def test_the_centre_sends_a_stop_and_only_that_bank_sees_and_answers_it(
    desktop: Any, live_app: LiveApp, screenshots: Path
) -> None:
    ids = _banks(live_app)
    other = live_app.call(
        "fzzx_pay",
        "POST",
        "/payments/stops",
        {
            "bank_unit_id": ids["bank-icbc"],
            "account": "6212260000000000001",
            "amount_yuan": "800",
            "basis": "工行账户止付",
        },
    )
    page = desktop

    # The centre: a stop to the 农业银行 from the screen.
    log_in(page, "fzzx_pay")
    open_screen(page, "bank")
    page.get_by_role("button", name="发起紧急止付").click()
    dialog = page.locator("dialog[open]")
    dialog.locator("select[name='bank_unit_id']").select_option(str(ids["bank-abc"]))
    dialog.locator("input[name='account']").fill("6228 4800 1234 5678 901")
    dialog.locator("input[name='account_name']").fill("张某某")
    dialog.locator("input[name='amount_yuan']").fill("318335")
    dialog.locator("textarea[name='basis']").fill("受害人李某某被冒充淘宝客服诈骗，银行卡内资金被转走")
    dialog.locator("input[name='case_ref']").fill("case-ab-1006")
    dialog.get_by_role("button", name="下发银行").click()
    expect(page.locator("dialog[open]")).to_have_count(0)
    case = page.locator(".bank-case")
    expect(case).to_contain_text("待止付")
    expect(case).to_contain_text("6228***********8901")
    page.screenshot(path=str(screenshots / "bank-portal-centre.png"))
    page.locator(".topbar-btn[title='退出登录']").click()

    # The 农业银行's liaison: one request, its own.
    log_in(page, "abc_liaison")
    expect(page.locator(".nav-link[data-screen='bank']")).to_have_class("nav-link is-active")
    rows = page.locator(".bank-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("农业银行象山支行")
    expect(page.locator(".bank-table")).not_to_contain_text("工商银行")
    rows.first.click()
    case = page.locator(".bank-case")
    case.get_by_role("button", name="止付反馈").click()
    dialog = page.locator("dialog[open]")
    dialog.locator("select[name='result']").select_option("stopped")
    dialog.locator("input[name='amount_stopped_yuan']").fill("300000")
    dialog.get_by_role("button", name="提交").click()
    expect(page.locator("dialog[open]")).to_have_count(0)
    expect(case).to_contain_text("已止付")
    expect(case).to_contain_text("¥300,000.00")
    expect(case).to_contain_text("止付失效")
    # The liaison needs the account number: shown in full, the read recorded.
    case.get_by_role("button", name="显示完整账号（记录在案）").click()
    expect(case).to_contain_text("6228480012345678901")
    page.screenshot(path=str(screenshots / "bank-portal-liaison.png"))

    # Another bank's request is not there for them.
    page.goto(f"/static/index.html#/bank/{other['id']}")
    expect(page.locator(".bank-case .case-error")).to_contain_text("不存在")
    page.screenshot(path=str(screenshots / "bank-portal-other-bank.png"))
