"""Reports (日研判、周通报、月点评、季总结) from a demo county's data: the PDF opens with Chinese text, the bureau and
the period on every page, every station, charts, and only Pingan's own font, embedded; the API, its refusals
and its audit; the schedule through the outbox into the archive.

The county is the demo's (18 stations), fed for November 2026 by the demo's own event feed with many hits,
and left unworked so that deadlines pass: the sweeper records them late and they stay overdue.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from rich.console import Console
from sqlalchemy import func, select
from typer.testing import CliRunner

from pingan.bootstrap import Services, bootstrap
from pingan.command.reports.periods import Cadence
from pingan.command.reports.service import PUBLISH, ReportFormat, render, render_html
from pingan.core.clock import FakeClock
from pingan.core.db import Database
from pingan.core.models import AuthEvent, AuthEventKind, Unit, UnitKind
from pingan.core.outbox import OutboxMessage
from pingan.core.settings import Settings
from pingan.demo.population import EventFeed
from pingan.demo.run import DEMO_PASSWORD, build_county
from pingan.fraud.models import FraudWarning
from pingan.migrate import upgrade

BUREAU = "象山县公安局"
AFTER = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai on 1 December: November is complete


@dataclass
class County:
    services: Services
    clock: FakeClock
    url: str
    stations: list[str]


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Iterator[County]:
    path = tmp_path_factory.mktemp("reports")
    url = f"sqlite:///{path / 'county.db'}"
    clock = FakeClock(datetime(2026, 11, 1, 1, 0, tzinfo=UTC))
    services = bootstrap(Settings(database_url=url, instance_dir=path / "instance"), clock=clock, db=Database(url))
    upgrade(services.db)
    built = build_county(services, residents=400, seed=11, console=Console(file=io.StringIO()))
    feed = EventFeed(built.people, built.indicators, seed=5, hit_ratio=0.4)
    for day in range(1, 31, 2):  # every other day of November, at 10:00 and 20:00 local time
        for hour in (2, 12):
            clock.set(datetime(2026, 11, day, hour, 0, tzinfo=UTC))
            services.intake.ingest([feed.event(at=clock.now()) for _ in range(30)])
            with services.db.session() as session:
                services.tasks.sweep(session)
    clock.set(AFTER)
    with services.db.session() as session:
        services.tasks.sweep(session)
        stations = list(session.scalars(select(Unit.name).where(Unit.kind == UnitKind.STATION)))
    yield County(services, clock, url, stations)
    services.close()


def _pdf(body: bytes) -> PdfReader:
    assert body.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(body))


def test_a_monthly_pdf_from_the_demo_county_has_the_bureau_the_period_and_every_station(county: County) -> None:
    reports = county.services.reports
    with county.services.db.session() as session:
        report = reports.build(session, Cadence.MONTHLY, reports.period(Cadence.MONTHLY, "2026-11"))
        warnings = session.scalar(
            select(func.count(FraudWarning.id)).where(
                FraudWarning.created_at >= report.period.start, FraudWarning.created_at < report.period.end
            )
        )
    assert len(county.stations) == 18
    assert sorted(report.stations) == sorted(county.stations)
    assert report.figures.county.warnings == warnings
    assert warnings > 50
    placed = sum(f.warnings for _, f in report.figures.stations)
    assert 0 < placed <= warnings
    assert report.figures.county.late > 0
    assert report.figures.county.overdue_open > 0

    reader = _pdf(render(report, ReportFormat.PDF))
    assert len(reader.pages) >= 2
    texts = [page.extract_text() for page in reader.pages]
    for number, text in enumerate(texts, start=1):
        assert BUREAU in text, f"page {number} does not name the bureau"
        assert "2026年11月" in text, f"page {number} does not name the period"
        assert f"第 {number} 页 / 共 {len(texts)} 页" in text
    whole = "\n".join(texts)
    assert "2026年11月月点评" in whole
    for name in county.stations:
        assert name in whole, f"{name} is missing from the report"
    for heading in ("总体情况", "派出所排名", "各派出所情况", "热点诈骗类型", "超时未办通报"):
        assert heading in whole
    assert whole.count("图：") >= 3  # the captions of the charts drawn above them

    fonts: set[str] = set()
    for page in reader.pages:
        resources: Any = page["/Resources"]
        for ref in resources["/Font"].values():
            font = ref.get_object()
            fonts.add(str(font["/BaseFont"]))
            descendants = font.get("/DescendantFonts")
            descriptor = (descendants[0].get_object() if descendants else font)["/FontDescriptor"].get_object()
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), f"{font} not embedded"
    assert fonts
    assert all("PinganReport" in f for f in fonts), fonts  # Pingan's font only, never a system one


def test_the_html_has_the_charts_inline_and_every_station_in_the_station_table(county: County) -> None:
    reports = county.services.reports
    with county.services.db.session() as session:
        report = reports.build(session, Cadence.WEEKLY, reports.period(Cadence.WEEKLY, "2026-W47"))
    html = render_html(report)
    assert html.count("<svg") >= 3
    assert "<?xml" not in html
    assert BUREAU in html
    assert "2026年第47周（11月16日—11月22日）" in html
    table = html.split("各派出所情况", 1)[1].split("</table>", 1)[0]
    assert table.count("<tr") == 1 + len(county.stations) + 1  # headings, every station, the county's total
    for name in county.stations:
        assert f"<td>{name}</td>" in table


def test_a_daily_report_of_a_quiet_day_still_lists_every_station_with_zeros(county: County) -> None:
    reports = county.services.reports
    with county.services.db.session() as session:
        report = reports.build(session, Cadence.DAILY, reports.period(Cadence.DAILY, "2026-11-02"))  # no feed
    assert report.figures.county.warnings == 0
    assert len(report.figures.stations) == 18
    assert all(f.warnings == 0 for _, f in report.figures.stations)
    text = "\n".join(p.extract_text() for p in _pdf(render(report, ReportFormat.PDF)).pages)
    assert "2026年11月2日日研判" in text
    for name in county.stations:
        assert name in text


def test_a_quarterly_report_compares_with_the_quarter_before_and_the_year_before(county: County) -> None:
    reports = county.services.reports
    with county.services.db.session() as session:
        report = reports.build(session, Cadence.QUARTERLY, reports.period(Cadence.QUARTERLY, "2026-Q4"))
    titles = [s.title for s in report.sections]
    assert "同比环比" in titles
    assert "派出所排名" in titles
    html = render_html(report)
    assert "去年同期" in html
    assert "同比" in html
    assert "本期尚未结束" in html  # December is not over at 1 December


def test_the_api_gives_a_pdf_to_the_commander_records_it_and_refuses_the_others(county: County) -> None:
    from pingan.api.app import create_app

    with TestClient(create_app(county.services)) as client:

        def token(username: str) -> dict[str, str]:
            answer = client.post("/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD})
            assert answer.status_code == 200, answer.text
            return {"Authorization": f"Bearer {answer.json()['access_token']}"}

        commander = token("qzzx")
        got = client.get("/api/v1/command/reports/monthly", params={"period": "2026-11"}, headers=commander)
        assert got.status_code == 200, got.text
        assert got.headers["content-type"] == "application/pdf"
        assert "monthly-2026-11.pdf" in got.headers["content-disposition"]
        assert BUREAU in _pdf(got.content).pages[0].extract_text()
        html = client.get(
            "/api/v1/command/reports/daily", params={"period": "2026-11-29", "format": "html"}, headers=commander
        )
        assert html.status_code == 200
        assert html.headers["content-type"].startswith("text/html")
        assert "2026年11月29日日研判" in html.text

        for params, field in (
            ({"period": "2026-13"}, "period"),
            ({"period": "2026-W47"}, "period"),
            ({"period": "2027-01"}, "period"),  # not begun
            ({"period": "2026-11", "format": "docx"}, "query.format"),
        ):
            refused = client.get("/api/v1/command/reports/monthly", params=params, headers=commander)
            assert refused.status_code == 422, (params, refused.text)
            assert refused.json()["error"]["field"] == field, refused.json()
        assert client.get("/api/v1/command/reports/yearly", headers=commander).status_code == 422
        assert client.get("/api/v1/command/reports/monthly", params={"period": "2026-11"}).status_code == 401
        head = token("dandong_sz")
        assert client.get("/api/v1/command/reports/daily", headers=head).status_code == 403
        assert client.get("/api/v1/command/reports", headers=head).status_code == 403

    with county.services.db.session() as session:
        exports = session.scalars(select(AuthEvent).where(AuthEvent.kind == AuthEventKind.EXPORT)).all()
    details = [e.detail for e in exports]
    assert {"what": "report-monthly", "format": "pdf", "period": "2026-11"} in details
    assert {"what": "report-daily", "format": "html", "period": "2026-11-29"} in details
    assert len(details) == 2  # refusals hand out nothing and record nothing


def test_the_schedule_announces_each_report_once_and_the_worker_writes_it_into_the_archive(county: County) -> None:
    services = county.services
    reports = services.reports
    # 06:00 on Tuesday 1 December, before the publish hour (07:00): last week's report (it ended on Monday) and
    # the third quarter's are due, yesterday's and November's not yet.
    county.clock.set(datetime(2026, 11, 30, 22, 0, tzinfo=UTC))
    with services.db.session() as session:
        assert reports.schedule(session) == 2
    county.clock.set(AFTER)  # 10:00: yesterday's daily and November's too
    with services.db.session() as session:
        assert reports.schedule(session) == 2
    with services.db.session() as session:
        assert reports.schedule(session) == 0  # a sweep after it announces nothing again
        keys = set(session.scalars(select(OutboxMessage.dedupe_key).where(OutboxMessage.kind == PUBLISH)))
    assert keys == {
        f"{PUBLISH}:daily:2026-11-30",
        f"{PUBLISH}:weekly:2026-W48",
        f"{PUBLISH}:monthly:2026-11",
        f"{PUBLISH}:quarterly:2026-Q3",
    }
    services.outbox.run_until_idle()
    names = [r.name for r in reports.archive()]
    assert set(names) == {
        f"{c}-{p}.{f}"
        for c, p in (("daily", "2026-11-30"), ("weekly", "2026-W48"), ("monthly", "2026-11"), ("quarterly", "2026-Q3"))
        for f in ("pdf", "html")
    }
    assert [r.name for r in reports.archive(Cadence.DAILY)] == ["daily-2026-11-30.pdf", "daily-2026-11-30.html"]
    daily = reports.archived("daily-2026-11-30.pdf").read_bytes()
    assert "2026年11月30日" in _pdf(daily).pages[0].extract_text()

    from pingan.api.app import create_app

    with TestClient(create_app(services)) as client:
        answer = client.post("/api/v1/auth/token", data={"username": "qzzx", "password": DEMO_PASSWORD})
        headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}
        listed = client.get("/api/v1/command/reports", headers=headers).json()
        assert [r["name"] for r in listed][:2] == ["daily-2026-11-30.pdf", "daily-2026-11-30.html"]
        assert listed[0]["cadence_name"] == "日研判"
        got = client.get("/api/v1/command/reports/archive/daily-2026-11-30.pdf", headers=headers)
        assert got.status_code == 200
        assert got.content == daily
        for name in ("daily-2026-11-29.pdf", "secret_key", "..%2Fsecret_key", "daily-2026-11-30.pdf.tmp"):
            assert client.get(f"/api/v1/command/reports/archive/{name}", headers=headers).status_code == 404


def test_pingan_report_writes_the_file_and_refuses_a_bad_period(county: County, tmp_path: Path) -> None:
    from pingan.cli import app

    runner = CliRunner()
    out = tmp_path / "november.pdf"
    done = runner.invoke(
        app, ["--database-url", county.url, "report", "monthly", "--period", "2026-11", "--out", str(out)]
    )
    assert done.exit_code == 0, done.output
    text = "\n".join(p.extract_text() for p in _pdf(out.read_bytes()).pages)
    assert "2026年11月月点评" in text
    assert all(name in text for name in county.stations)
    html = tmp_path / "week.html"
    done = runner.invoke(
        app, ["--database-url", county.url, "report", "weekly", "--period", "2026-W47", "--out", str(html)]
    )
    assert done.exit_code == 0, done.output
    assert "周通报" in html.read_text(encoding="utf-8")
    bad = runner.invoke(
        app, ["--database-url", county.url, "report", "monthly", "--period", "2026-Q3", "--out", str(out)]
    )
    assert bad.exit_code == 1
    assert "2026-11" in bad.output
    wrong = runner.invoke(app, ["--database-url", county.url, "report", "daily", "--out", str(tmp_path / "x.docx")])
    assert wrong.exit_code == 1
    assert ".pdf or .html" in wrong.output


def test_the_html_embeds_its_font_so_a_saved_copy_opens_offline(county: County) -> None:
    """Both faces are data URIs (no URL to fetch), cut down to the report's characters, and each holds every
    character the report shows (a missing one would fall back to the reader's own font)."""
    import base64
    import io
    import re

    from fontTools.ttLib import TTFont

    reports = county.services.reports
    with county.services.db.session() as session:
        report = reports.build(session, Cadence.WEEKLY, reports.period(Cadence.WEEKLY, "2026-W47"))
    html = render_html(report)
    sources = re.findall(r"@font-face \{[^}]*src: url\(\"([^\"]+)\"\)", html)
    assert len(sources) == 2
    assert all(s.startswith("data:font/woff;base64,") for s in sources)
    assert "/static/" not in html
    assert "file:" not in html
    body = re.sub(r"<svg.*?</svg>|<style.*?</style>|<[^>]+>", "", html, flags=re.S)
    shown = {c for c in body if not c.isspace() and c not in "&;#"}
    assert {"各", "派", "出", "所"} <= shown
    for source in sources:
        data = base64.b64decode(source.split(",", 1)[1])
        font = TTFont(io.BytesIO(data))
        glyphs = set(chr(c) for c in font.getBestCmap())
        assert shown <= glyphs, sorted(shown - glyphs)[:10]
        assert len(data) < 1_500_000  # a subset, not the 2.3 MB face
