"""断卡核查 in the staff UI: a station officer sees a flagged opening of their station, masked, signs for its
verification and records that the card was cancelled; the figures count it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import LiveApp, open_screen
from tests.browser.test_audit_screen import log_in
from tests.cards_ids import id_number


def test_an_officer_verifies_a_flagged_opening_and_cancels_the_card(
    desktop: Any, live_app: LiveApp, screenshots: Path
) -> None:
    page = desktop
    lon, lat = live_app.officer_point
    holder = id_number("522301", "20050301", "077")
    answer = live_app.call(
        "admin",
        "POST",
        "/cards/openings",
        {
            "openings": [
                {
                    "id": "browser-0001",
                    "at": "2026-11-23T10:00:00+08:00",
                    "operator": "中国移动",
                    "kind": "sim",
                    "number": "13905749999",
                    "holder": {"name": "赵青年", "id_number": holder, "phone": "13805749999"},
                    "outlet": {"id": "yd-browser", "name": "丹东营业厅", "lon": lon, "lat": lat},
                }
            ]
        },
    )
    assert len(answer["tasks_created"]) == 1
    log_in(page, "dandong_mj1")
    open_screen(page, "cards")
    expect(page.locator(".nav-link[data-screen='cards']")).to_have_class(re.compile(r"\bis-active\b"))
    row = page.locator(".cards-table tbody tr").filter(has_text="丹东营业厅")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("赵**")
    expect(row).to_contain_text("522301********")
    expect(row).not_to_contain_text(holder)
    expect(row).to_contain_text("青年异地开卡")
    row.get_by_role("button", name="签收").click()
    expect(row.get_by_role("button", name="签收")).to_have_count(0)
    row.get_by_role("button", name="核查结果").click()
    page.locator(".dlg select[name='outcome']").select_option("cancelled")
    page.locator(".dlg textarea[name='note']").fill("本人承认代他人办卡，已注销")
    page.screenshot(path=str(screenshots / "cards-01-verify-dialog.png"))
    page.locator(".dlg").get_by_role("button", name="提交").click()
    expect(page.locator(".cards-table tbody tr").filter(has_text="丹东营业厅")).to_have_count(0)  # no longer waiting
    page.get_by_role("button", name="全部").click()
    done = page.locator(".cards-table tbody tr").filter(has_text="丹东营业厅")
    expect(done).to_contain_text("已注销")
    expect(page.locator(".cards-figures")).to_contain_text("已注销 1 张")
    page.screenshot(path=str(screenshots / "cards-02-cancelled.png"))
