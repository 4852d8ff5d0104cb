"""案件 in the staff UI: a case opened by hand shows the identifiers read from its narrative, cases sharing a
number show up together under 串并线索 with the number that linked them, and an edited identifier list is
saved and relinked."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import LiveApp, open_screen
from tests.browser.test_audit_screen import log_in


def test_an_admin_opens_a_case_sees_its_identifiers_and_the_cluster_it_joins(
    desktop: Any, live_app: LiveApp, screenshots: Path
) -> None:
    page = desktop
    live_app.call(
        "admin", "POST", "/cases",
        {"id": "ui-ring-1", "reported_at": "2026-11-20T10:00:00+08:00", "loss_yuan": "12888.80",
         "narrative": "对方自称客服，电话 171-2345-6789，让我转账到6222 0212 3456 7890 123"},
    )  # fmt: skip
    log_in(page, "admin")
    open_screen(page, "cases")
    expect(page.locator(".nav-link[data-screen='cases']")).to_have_class(re.compile(r"\bis-active\b"))

    page.get_by_role("button", name="新建案件").click()
    dialog = page.locator("dialog.dlg")
    dialog.locator("input[name='reported_at']").fill("2026-11-23T09:30")
    dialog.locator("input[name='victim.name']").fill("陈阿姨")
    dialog.locator("input[name='loss_yuan']").fill("3050.5")
    dialog.locator("select[name='fraud_type']").select_option("fake_customer_service")
    dialog.locator("textarea[name='narrative']").fill(
        "接到电话１７１２３４５６７８９，对方加我微信号：kefu_8899，让我登录 www.tb-tk.cc/refund"
    )
    dialog.get_by_role("button", name="立案").click()

    detail = page.locator(".case-detail")
    expect(detail).to_be_visible()
    ids = detail.locator(".case-ids tbody tr")
    expect(ids.filter(has_text="17123456789")).to_have_count(1)
    expect(ids.filter(has_text="kefu_8899")).to_have_count(1)
    expect(ids.filter(has_text="www.tb-tk.cc/refund")).to_have_count(1)
    expect(detail).to_contain_text("与 1 起案件串并")
    expect(detail).to_contain_text("陈**")  # the victim masked
    expect(detail.locator(".case-task")).to_contain_text("侦办任务 #")  # investigated on the task workflow
    expect(detail.locator("select[name='status']")).to_have_count(0)  # its status follows the task
    page.screenshot(path=str(screenshots / "cases-01-detail.png"))

    # The wrong WeChat id is removed and another number added: saved, and still linked by the phone.
    ids.filter(has_text="kefu_8899").get_by_role("button", name="删除").click()
    detail.locator("select[name='kind']").select_option("qq")
    detail.locator("input[name='value']").fill("55667788")
    detail.get_by_role("button", name="添加").click()
    detail.get_by_role("button", name="保存").click()
    expect(page.locator("#toasts")).to_contain_text("案件已保存")
    expect(ids.filter(has_text="55667788")).to_have_count(1)
    expect(ids.filter(has_text="kefu_8899")).to_have_count(0)

    page.get_by_role("button", name="串并线索").click()
    row = page.locator(".cases-clusters tbody tr").filter(has_text="17123456789")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("ui-ring-1")
    expect(row).to_contain_text("¥15,939.30")
    page.screenshot(path=str(screenshots / "cases-02-clusters.png"))
