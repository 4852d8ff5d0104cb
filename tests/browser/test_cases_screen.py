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


def test_warnings_sharing_a_number_show_as_a_cluster_beside_the_cases(
    desktop: Any, live_app: LiveApp, screenshots: Path
) -> None:
    page = desktop
    for i, phone in ((1, "13800000101"), (2, "13800000102")):
        live_app.call(
            "admin", "POST", "/fraud/events",
            {"events": [{"id": f"ui-w-{i}", "source": "hotline", "kind": "report", "at": "2026-11-23T10:00:00+08:00",
                         "subject_phone": phone, "counterpart": "17234567890", "counterpart_kind": "phone"}]},
        )  # fmt: skip
    live_app.call(
        "admin", "POST", "/cases",
        {"id": "ui-ring-w", "reported_at": "2026-11-20T10:00:00+08:00", "loss_yuan": "5000",
         "narrative": "对方电话 172 3456 7890 让我转账"},
    )  # fmt: skip
    live_app.call(
        "admin", "POST", "/fraud/events",
        {"events": [{"id": f"ui-w-{i}", "source": "hotline", "kind": "report", "at": "2026-11-23T11:00:00+08:00",
                     "subject_phone": f"1380000020{i}", "counterpart": "https://pay-safe.cc/x", "counterpart_kind": "url"}
                    for i in (3, 4)]},
    )  # fmt: skip
    log_in(page, "admin")
    open_screen(page, "cases")
    page.get_by_role("button", name="串并线索").click()
    ring = page.locator(".cases-clusters tbody tr").filter(has_text="17234567890")
    expect(ring).to_have_count(1)
    expect(ring).to_contain_text("ui-ring-w")
    expect(ring).to_contain_text("1 起案件、2 条预警")
    expect(ring).to_contain_text("ui-w-1")
    expect(ring).to_contain_text("ui-w-2")
    alone = page.locator(".cases-clusters tbody tr").filter(has_text="pay-safe.cc")
    expect(alone).to_contain_text("预警组")
    expect(alone).to_contain_text("ui-w-3")
    expect(alone).not_to_contain_text("13800000203")  # nobody warned is shown
    page.screenshot(path=str(screenshots / "cases-03-warning-clusters.png"), full_page=True)
