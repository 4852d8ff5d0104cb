"""报告 in the staff UI: the commander downloads a 月点评 PDF made on demand (the bureau's period on its pages,
every station) and an archived 日研判 the worker wrote; a bad period is refused on the screen naming the field;
a station head has none."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import select

from pingan.command.reports.periods import Cadence, last_complete
from pingan.core.models import Unit, UnitKind
from tests.browser.conftest import LiveApp, open_screen
from tests.browser.test_audit_screen import log_in


def _text(path: str) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(Path(path).read_bytes())).pages)


def test_the_commander_makes_a_monthly_report_and_downloads_an_archived_daily_one(
    desktop: Any, live_app: LiveApp, screenshots: Path
) -> None:
    services = live_app.services
    reports = services.reports
    yesterday = last_complete(Cadence.DAILY, services.clock.now())
    with services.db.session() as session:
        reports.write(reports.build(session, Cadence.DAILY, yesterday))  # as the worker does each morning
        stations = list(session.scalars(select(Unit.name).where(Unit.kind == UnitKind.STATION)))
    month = last_complete(Cadence.MONTHLY, services.clock.now())

    page = desktop
    log_in(page, "qzzx")
    open_screen(page, "reports")
    expect(page.locator(".nav-link[data-screen='reports']")).to_have_class(re.compile(r"\bis-active\b"))
    archive = page.locator(".reports-archive tbody tr")
    expect(archive.first).to_contain_text("日研判")
    expect(page.locator(f".reports-archive tr[data-name='daily-{yesterday.key}.pdf']")).to_be_visible()

    page.get_by_role("button", name="月点评").click()
    expect(page.locator("input[name='period']")).to_have_attribute("placeholder", re.compile("2026-11"))
    page.locator("input[name='period']").fill(month.key)
    page.screenshot(path=str(screenshots / "reports-screen.png"), full_page=True)
    with page.expect_download(timeout=60_000) as got:
        page.locator("[data-make='pdf']").click()
    assert got.value.suggested_filename == f"monthly-{month.key}.pdf" or got.value.suggested_filename.endswith(
        f"{month.title}月点评.pdf"
    )
    text = _text(got.value.path())
    assert f"{month.title}月点评" in text
    for name in stations:
        assert name in text
    expect(page.locator("[data-role='status']")).to_contain_text("已生成月点评 PDF")

    with page.expect_download() as archived:
        page.locator(f".reports-archive tr[data-name='daily-{yesterday.key}.pdf'] button").click()
    assert f"{yesterday.title}日研判" in _text(archived.value.path())

    page.locator("input[name='period']").fill("2026-13")
    page.locator("[data-make='html']").click()
    expect(page.locator(".toast", has_text="月点评的时段形如 2026-11")).to_be_visible()
    expect(page.locator(".toast", has_text="（时段）")).to_be_visible()
    page.screenshot(path=str(screenshots / "reports-refused.png"), full_page=True)


def test_a_station_head_has_no_reports_screen(desktop: Any, live_app: LiveApp) -> None:
    page = desktop
    log_in(page, "dandong_sz")
    expect(page.locator(".topbar .nav")).to_be_visible()
    expect(page.locator(".nav-link[data-screen='reports']")).to_have_count(0)
