"""Reports of a deployment of two counties: 象山's daily report names 象山's bureau, lists 象山's stations only and
counts 象山's warnings and tasks only (宁海's differ, so a leak shows); the province's covers both with a table
of counties; a county's users get their own county's report, made or archived, never the other's; the schedule
writes one report per county and period, once. Push templates per county, and the other places that took
"county-wide" for "the whole deployment" (fraud figures, officers' cards, mediators)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from pypdf import PdfReader
from shapely.geometry import box
from sqlalchemy import select
from typer.testing import CliRunner

from pingan.api.app import create_app
from pingan.bootstrap import Services, bootstrap
from pingan.command.reports.periods import Cadence
from pingan.command.reports.service import PUBLISH, ReportFormat, render
from pingan.core.areas import import_areas
from pingan.core.clock import FakeClock
from pingan.core.db import Database
from pingan.core.geo import GeoArea
from pingan.core.identity import create_user
from pingan.core.models import Area, Role, Unit, UnitKind, User
from pingan.core.outbox import OutboxMessage
from pingan.core.settings import Settings
from tests.integration.two_counties import import_province_and_counties

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 on Monday 23 November in Shanghai
NEXT_DAY = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
API = "/api/v1"
PASSWORD = "pw-tenant-1"
XS_STATIONS = ("丹东派出所", "石浦派出所")
NH_STATIONS = ("跃龙派出所",)


@dataclass
class TwoCounties:
    services: Services
    clock: FakeClock
    client: TestClient
    url: str
    tokens: dict[str, str]
    units: dict[str, int]

    def call(self, who: str, path: str, **params: Any) -> Any:
        return self.client.get(f"{API}{path}", params=params, headers={"Authorization": f"Bearer {self.tokens[who]}"})


def _lead(i: int, phone: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"r{i}",
        "source": "platform",
        "kind": "pushed_warning",
        "level": "high",
        "at": "2026-11-23T09:00:00+08:00",
        "subject_phone": phone,
        "text": "省平台下发：疑似冒充客服诈骗",
        **extra,
    }


@pytest.fixture
def two(db: Database, tmp_path: Path) -> Iterator[TwoCounties]:
    clock = FakeClock(T0)
    url = str(db.engine.url.render_as_string(hide_password=False))
    services = bootstrap(Settings(database_url=url, instance_dir=tmp_path / "instance"), db=db, clock=clock)
    hasher = PasswordHasher()
    with db.session() as s:
        import_province_and_counties(s)
        import_areas(s, [GeoArea("丹东", "xs-dandong", box(121.8, 29.4, 121.9, 29.5))], parent_code="330225")
        import_areas(s, [GeoArea("石浦", "xs-shipu", box(121.9, 29.0, 122.0, 29.1))], parent_code="330225")
        import_areas(s, [GeoArea("跃龙", "nh-yuelong", box(121.4, 29.5, 121.5, 29.6))], parent_code="330226")
        province_area = s.scalar(select(Area.id).where(Area.code == "33"))
        s.add(
            Unit(code="33-anti-fraud-centre", name="省反诈中心", kind=UnitKind.ANTI_FRAUD_CENTRE, area_id=province_area)
        )
        s.flush()
        units = {u.code: u.id for u in s.scalars(select(Unit))}
        for username, role, unit in (
            ("xs_analyst", Role.ANALYST, "330225-anti-fraud-centre"),
            ("nh_commander", Role.COMMANDER, "330226-command-centre"),
            ("zj_analyst", Role.ANALYST, "33-anti-fraud-centre"),
            ("xs_head", Role.STATION_HEAD, "station-xs-dandong"),
            ("xs_admin", Role.ADMIN, "330225-command-centre"),
            ("nh_admin", Role.ADMIN, "330226-command-centre"),
            ("nh_officer", Role.OFFICER, "station-nh-yuelong"),
            ("ops", Role.ADMIN, None),
        ):
            user = create_user(
                s, username, None, role=role, display_name=username, unit_id=units.get(unit or ""), now=T0
            )
            user.password_hash = hasher.hash(PASSWORD)
    services.jurisdictions.invalidate()
    # 象山: 2 warnings at 丹东, 1 at 石浦; 宁海: 4 at 跃龙 and 2 the province addressed to 宁海's centre.
    leads = [_lead(1, "13905740001", lon=121.85, lat=29.45), _lead(2, "13905740002", lon=121.85, lat=29.45)]
    leads.append(_lead(3, "13905740003", lon=121.95, lat=29.05))
    leads += [_lead(10 + i, f"1390575001{i}", lon=121.45, lat=29.55) for i in range(4)]
    leads += [_lead(20 + i, f"1390575002{i}", county="330226") for i in range(2)]
    result = services.intake.ingest(leads)
    assert (result.accepted, len(result.warnings_opened)) == (9, 9)
    clock.set(NEXT_DAY)
    client = TestClient(create_app(services), raise_server_exceptions=False)
    tokens = {}
    for username in ("xs_analyst", "nh_commander", "zj_analyst", "xs_head", "xs_admin", "nh_admin", "ops"):
        answer = client.post(f"{API}/auth/token", data={"username": username, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        tokens[username] = answer.json()["access_token"]
    yield TwoCounties(services, clock, client, url, tokens, units)
    services.close()


def _text(body: bytes) -> str:
    """The PDF's text with every space and line break taken out (a line may break inside a figure)."""
    assert body.startswith(b"%PDF-")
    return "".join("".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages).split())


def test_a_countys_daily_report_lists_its_own_stations_and_counts_its_own_figures(two: TwoCounties) -> None:
    reports = two.services.reports
    with two.services.db.session() as session:
        period = reports.period(Cadence.DAILY, "2026-11-23")
        xs = reports.build(session, Cadence.DAILY, period, reports.coverage(session, "330225"))
        nh = reports.build(session, Cadence.DAILY, period, reports.coverage(session, "330226"))
    assert xs.bureau == "象山县公安局"
    assert sorted(xs.stations) == sorted(XS_STATIONS)
    assert (xs.figures.county.warnings, xs.figures.county.tasks_created) == (3, 3)
    assert [f.warnings for _, f in xs.figures.stations] == [2, 1]
    assert (nh.figures.county.warnings, nh.figures.county.tasks_created) == (6, 6), "its centre's two count too"
    assert nh.stations == list(NH_STATIONS)

    text = _text(render(xs, ReportFormat.PDF))
    assert "象山县公安局" in text
    assert "宁海" not in text
    assert "跃龙派出所" not in text
    assert all(name in text for name in XS_STATIONS)
    assert "象山县共产生涉诈预警3条" in text
    assert "期内下发任务3件" in text
    assert "预警6条" not in text
    assert "预警9条" not in text


def test_the_provinces_report_covers_both_counties_with_a_table_of_counties(two: TwoCounties) -> None:
    got = two.call("zj_analyst", "/command/reports/daily", period="2026-11-23", format="html")
    assert got.status_code == 200, got.text
    html = got.text
    assert "浙江省公安厅" in html
    assert "浙江省共产生涉诈预警 9 条" in html
    counties = html.split("各县（市、区）</h3>", 1)[1].split("</table>", 1)[0]
    assert '<td>象山县</td><td class="num">3</td>' in counties
    assert '<td>宁海县</td><td class="num">6</td>' in counties
    assert '<td>全省合计</td><td class="num">9</td>' in counties
    for name in (*XS_STATIONS, *NH_STATIONS):
        assert f"<td>{name}</td>" in html
    assert "象山县各派出所" in html
    assert "宁海县各派出所" in html
    assert 'filename="33-daily-2026-11-23.html"' in got.headers["content-disposition"]

    # The province picks one county below it; the city's own report is the city's.
    one = two.call("zj_analyst", "/command/reports/daily", period="2026-11-23", county="330226", format="html")
    assert one.status_code == 200
    assert "宁海县共产生涉诈预警 6 条" in one.text
    assert "丹东派出所" not in one.text
    city = two.call("zj_analyst", "/command/reports/daily", period="2026-11-23", county="3302", format="html")
    assert "宁波市公安局" in city.text
    assert "全市合计" in city.text


def test_a_county_user_gets_the_own_countys_report_and_never_the_others(two: TwoCounties) -> None:
    own = two.call("xs_analyst", "/command/reports/daily", period="2026-11-23")
    assert own.status_code == 200, own.text
    text = _text(own.content)
    assert "象山县共产生涉诈预警3条" in text
    assert "跃龙派出所" not in text
    assert 'filename="330225-daily-2026-11-23.pdf"' in own.headers["content-disposition"]
    for county in ("330226", "3302", "33"):
        refused = two.call("xs_analyst", "/command/reports/daily", period="2026-11-23", county=county)
        assert refused.status_code == 403, refused.text
        assert (refused.json()["error"]["field"], refused.json()["error"]["code"]) == ("county", "outside_tenancy")
    unknown = two.call("nh_commander", "/command/reports/daily", county="999999")
    assert (unknown.status_code, unknown.json()["error"]["field"]) == (404, "county")
    too_long = two.call("nh_commander", "/command/reports/daily", county="3" * 40)
    assert too_long.status_code == 422
    assert two.call("xs_head", "/command/reports/daily").status_code == 403
    mine = two.call("nh_commander", "/command/reports/daily", period="2026-11-23", format="html")
    assert "宁海县公安局" in mine.text
    assert "丹东派出所" not in mine.text


def test_the_schedule_writes_one_report_per_county_once_and_each_county_reads_its_own_archive(
    two: TwoCounties,
) -> None:
    services, reports = two.services, two.services.reports
    with services.db.session() as session:
        first = reports.schedule(session)
    with services.db.session() as session:
        assert reports.schedule(session) == 0, "a second sweep announces nothing"
        keys = set(session.scalars(select(OutboxMessage.dedupe_key).where(OutboxMessage.kind == PUBLISH)))
    periods = {f"{p.cadence.value}:{p.key}" for p in reports.due(two.clock.now())}
    assert first == len(periods) * 2
    assert keys == {f"{PUBLISH}:{p}:{c}" for p in periods for c in ("330225", "330226")}
    services.outbox.run_until_idle()
    archive = services.settings.instance_dir / "reports"
    assert sorted(p.name for p in archive.iterdir()) == ["330225", "330226"]
    written = {p.relative_to(archive) for p in archive.rglob("*") if p.is_file()}
    assert len(written) == len(periods) * 2 * 2  # each county, each period, a PDF and an HTML
    with services.db.session() as session:
        assert reports.schedule(session) == 0
    services.outbox.run_until_idle()
    assert {p.relative_to(archive) for p in archive.rglob("*") if p.is_file()} == written, "nothing new"
    xs_daily = _text((archive / "330225" / "daily-2026-11-23.pdf").read_bytes())
    assert "象山县共产生涉诈预警3条" in xs_daily
    assert "跃龙派出所" not in xs_daily
    assert "宁海县共产生涉诈预警6条" in _text((archive / "330226" / "daily-2026-11-23.pdf").read_bytes())

    listed = two.call("xs_analyst", "/command/reports", cadence="daily").json()
    assert [(r["county"], r["name"]) for r in listed] == [
        ("330225", "daily-2026-11-23.pdf"),
        ("330225", "daily-2026-11-23.html"),
    ]
    assert listed[0]["county_name"] == "象山县"
    own = two.call("xs_analyst", "/command/reports/archive/daily-2026-11-23.pdf")
    assert own.status_code == 200
    assert own.content == (archive / "330225" / "daily-2026-11-23.pdf").read_bytes()
    theirs = two.call("xs_analyst", "/command/reports/archive/daily-2026-11-23.pdf", county="330226")
    assert theirs.status_code == 403
    assert (theirs.json()["error"]["field"], theirs.json()["error"]["code"]) == ("county", "outside_tenancy")
    listing = two.call("xs_analyst", "/command/reports", county="330226")
    assert (listing.status_code, listing.json()["error"]["field"]) == (403, "county")
    for name in ("../330226/daily-2026-11-23.pdf", "..%2F330226%2Fdaily-2026-11-23.pdf"):
        assert two.call("xs_analyst", f"/command/reports/archive/{name}").status_code == 404

    both = two.call("zj_analyst", "/command/reports", cadence="daily").json()
    assert {r["county"] for r in both} == {"330225", "330226"}
    ambiguous = two.call("zj_analyst", "/command/reports/archive/daily-2026-11-23.pdf")
    assert (ambiguous.status_code, ambiguous.json()["error"]["field"]) == (422, "county")
    theirs_for_province = two.call("zj_analyst", "/command/reports/archive/daily-2026-11-23.pdf", county="330226")
    assert theirs_for_province.content == (archive / "330226" / "daily-2026-11-23.pdf").read_bytes()


def test_pingan_report_county_writes_that_countys_report(two: TwoCounties, tmp_path: Path) -> None:
    from pingan.cli import app

    runner = CliRunner()
    out = tmp_path / "xs.pdf"
    base = ["--database-url", two.url, "report", "daily", "--period", "2026-11-23", "--out", str(out)]
    done = runner.invoke(app, [*base, "--county", "330225"])
    assert done.exit_code == 0, done.output
    text = _text(out.read_bytes())
    assert "象山县共产生涉诈预警3条" in text
    assert "跃龙派出所" not in text
    unknown = runner.invoke(app, [*base, "--county", "999999"])
    assert unknown.exit_code == 1
    assert "--county" in unknown.output


def _send(two: TwoCounties, method: str, who: str, path: str, body: Any = None) -> Any:
    return two.client.request(method, f"{API}{path}", json=body, headers={"Authorization": f"Bearer {two.tokens[who]}"})


def test_push_templates_belong_to_their_county_and_the_provinces_are_shared_read_only(two: TwoCounties) -> None:
    def template(code: str, title: str) -> dict[str, str]:
        return {"code": code, "kind": "fraud", "title": title, "body": "{area}群众请注意：谨防冒充客服诈骗"}

    province = _send(two, "POST", "zj_analyst", "/desk/push-templates", template("fraud-alert", "省厅反诈提醒"))
    assert province.status_code == 201, province.text
    xs = _send(two, "POST", "xs_analyst", "/desk/push-templates", template("fraud-alert", "象山反诈提醒"))
    assert xs.status_code == 201, "a code is unique per tenancy: 象山 may reuse the province's"
    again = _send(two, "POST", "xs_analyst", "/desk/push-templates", template("fraud-alert", "又一个"))
    assert (again.status_code, again.json()["error"]["field"]) == (409, "code")
    nh = _send(two, "POST", "nh_commander", "/desk/push-templates", template("fraud-alert", "宁海反诈提醒"))
    assert nh.status_code == 201, nh.text
    nh_id = nh.json()["id"]

    def seen(who: str) -> dict[str, bool]:
        answer = _send(two, "GET", who, "/desk/push-templates")
        assert answer.status_code == 200, answer.text
        return {t["title"]: t["shared"] for t in answer.json()}

    assert seen("xs_analyst") == {"省厅反诈提醒": True, "象山反诈提醒": False}
    assert seen("xs_head") == {"省厅反诈提醒": True, "象山反诈提醒": True}, "the county's are its centres' to edit"
    assert seen("nh_commander") == {"省厅反诈提醒": True, "宁海反诈提醒": False}
    assert seen("zj_analyst") == {"省厅反诈提醒": False}, "the counties' own are theirs"
    assert set(seen("ops")) == {"省厅反诈提醒", "象山反诈提醒", "宁海反诈提醒"}

    shared = _send(two, "PATCH", "xs_analyst", f"/desk/push-templates/{province.json()['id']}", {"title": "改"})
    assert shared.status_code == 403
    assert (shared.json()["error"]["field"], shared.json()["error"]["code"]) == ("template_id", "shared_template")
    theirs = _send(two, "PATCH", "xs_analyst", f"/desk/push-templates/{nh_id}", {"title": "改"})
    assert (theirs.status_code, theirs.json()["error"]["field"]) == (404, "template_id")
    own = _send(two, "PATCH", "xs_analyst", f"/desk/push-templates/{xs.json()['id']}", {"title": "象山反诈提醒（新）"})
    assert own.status_code == 200, own.text
    province_edit = _send(two, "PATCH", "zj_analyst", f"/desk/push-templates/{province.json()['id']}", {"title": "省"})
    assert province_edit.status_code == 200

    # Pushing from the other county's template is refused as if it did not exist; the province's may be used.
    with_theirs = _send(two, "POST", "xs_analyst", "/desk/pushes", {"template_id": nh_id})
    assert (with_theirs.status_code, with_theirs.json()["error"]["field"]) == (404, "template_id")
    with_shared = _send(two, "POST", "xs_analyst", "/desk/pushes", {"template_id": province.json()["id"]})
    assert with_shared.status_code == 201, with_shared.text


def test_a_provinces_template_reaches_the_counties_only_while_it_is_shared_below(two: TwoCounties) -> None:
    body = {"code": "typhoon", "kind": "weather", "title": "台风预警", "body": "{area}群众请注意防范台风"}
    mine = _send(two, "POST", "zj_analyst", "/desk/push-templates", {**body, "shared_below": False})
    assert mine.status_code == 201, mine.text
    assert (mine.json()["shared_below"], mine.json()["tenancy_name"]) == (False, "浙江省")
    template_id = mine.json()["id"]

    def county_sees() -> list[dict[str, Any]]:
        answer = _send(two, "GET", "xs_analyst", "/desk/push-templates")
        assert answer.status_code == 200, answer.text
        return [t for t in answer.json() if t["id"] == template_id]

    assert county_sees() == []
    used = _send(two, "POST", "xs_analyst", "/desk/pushes", {"template_id": template_id})
    assert (used.status_code, used.json()["error"]["field"]) == (404, "template_id")
    shared = _send(two, "PATCH", "zj_analyst", f"/desk/push-templates/{template_id}", {"shared_below": True})
    assert (shared.status_code, shared.json()["shared_below"]) == (200, True)
    [seen] = county_sees()
    assert (seen["shared"], seen["shared_below"], seen["tenancy_name"]) == (True, True, "浙江省")

    by_default = _send(two, "POST", "zj_analyst", "/desk/push-templates", {**body, "code": "typhoon-2"})
    assert by_default.json()["shared_below"] is True, "above a county a template is shared as it always was"
    county_own = _send(two, "POST", "xs_analyst", "/desk/push-templates", body)
    assert county_own.json()["shared_below"] is False
    for who, method, path, payload in (
        ("xs_analyst", "POST", "/desk/push-templates", {**body, "code": "typhoon-xs", "shared_below": True}),
        ("xs_analyst", "PATCH", f"/desk/push-templates/{county_own.json()['id']}", {"shared_below": True}),
        ("xs_head", "POST", "/desk/push-templates", {**body, "code": "typhoon-head", "shared_below": True}),
        ("zj_analyst", "PATCH", f"/desk/push-templates/{template_id}", {"shared_below": None}),
        ("zj_analyst", "PATCH", f"/desk/push-templates/{template_id}", {"shared_below": "often"}),
    ):
        refused = _send(two, method, who, path, payload)
        assert refused.status_code in (400, 422), (who, payload, refused.text)
        assert refused.json()["error"]["field"] == "shared_below", refused.text


def test_me_names_the_users_tenancy(two: TwoCounties) -> None:
    def tenancy(who: str) -> Any:
        answer = two.call(who, "/me")
        assert answer.status_code == 200, answer.text
        return answer.json()["tenancy"]

    assert tenancy("xs_analyst") == {"code": "330225", "name": "象山县", "kind": "county"}
    assert tenancy("xs_head") == {"code": "330225", "name": "象山县", "kind": "county"}
    assert tenancy("zj_analyst") == {"code": "33", "name": "浙江省", "kind": "province"}
    assert tenancy("ops") is None


def test_the_upgrade_gives_a_single_countys_templates_to_its_county_and_keeps_the_pushes_sent_from_them(
    tmp_path: Path,
) -> None:
    """On SQLite the unique code is dropped by copying the table that desk_pushes refers to: the pushes keep
    their template, and the templates of the one county written down become that county's."""
    from sqlalchemy import text

    from pingan.migrate import upgrade

    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(db, "0029_gangs")
    now = "2026-11-01 00:00:00.000000"
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO areas (id, code, name, kind, generation, active) VALUES (7, '330225', '象山县', 'county', 1, 1)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO desk_push_templates (id, code, kind, title, body, active, created_at, updated_at) "
                "VALUES (1, 'fraud-alert', 'fraud', '反诈提醒', '请注意', 1, :now, :now)"
            ),
            {"now": now},
        )
        conn.execute(
            text(
                "INSERT INTO desk_pushes (id, kind, title, body, template_id, target, created_at, targeted, delivered,"
                " held) VALUES (1, 'fraud', '反诈提醒', '请注意', 1, '{}', :now, 0, 0, 0)"
            ),
            {"now": now},
        )
    upgrade(db)
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT tenant_area_id FROM desk_push_templates")).scalar_one() == 7
        assert conn.execute(text("SELECT template_id FROM desk_pushes")).scalar_one() == 1
        assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
    db.dispose()


def test_the_upgrade_keeps_shared_the_templates_above_a_county_and_no_others(tmp_path: Path) -> None:
    from sqlalchemy import text

    from pingan.migrate import upgrade

    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(db, "0031_tenant_reports")
    now = "2026-11-01 00:00:00.000000"
    with db.engine.begin() as conn:
        for area_id, code, name, kind, parent in (
            (1, "33", "浙江省", "province", None),
            (2, "330225", "象山县", "county", 1),
            (3, "330226", "宁海县", "county", 1),
        ):
            conn.execute(
                text(
                    "INSERT INTO areas (id, code, name, kind, parent_id, generation, active) "
                    "VALUES (:id, :code, :name, :kind, :parent, 1, 1)"
                ),
                {"id": area_id, "code": code, "name": name, "kind": kind, "parent": parent},
            )
        conn.execute(text("INSERT INTO units (id, code, name, kind, area_id) VALUES (9, 's', '丹东', 'station', 2)"))
        for template_id, owner, unit_id in ((1, 1, None), (2, 2, None), (3, 2, 9), (4, None, None)):
            conn.execute(
                text(
                    "INSERT INTO desk_push_templates (id, code, kind, title, body, unit_id, tenant_area_id, active,"
                    " created_at, updated_at) VALUES (:id, :code, 'fraud', '提醒', '请注意', :unit, :area, 1, :now, :now)"
                ),
                {"id": template_id, "code": f"t{template_id}", "unit": unit_id, "area": owner, "now": now},
            )
    upgrade(db)
    with db.engine.connect() as conn:
        shared = {i: bool(v) for i, v in conn.execute(text("SELECT id, shared_below FROM desk_push_templates"))}
    assert shared == {1: True, 2: False, 3: False, 4: True}, "the province's and the deployment's stay shared"
    db.dispose()


def test_a_countys_fraud_figures_count_the_warnings_its_centre_holds_and_none_of_the_others(two: TwoCounties) -> None:
    """Before: a county's figures were read by its areas only, so 宁海's two warnings held by its centre (placed
    at no station) were missing from 宁海's own figures."""
    day = {"start": "2026-11-22T16:00:00Z", "end": "2026-11-23T16:00:00Z"}
    for who, expected in (("nh_admin", 6), ("xs_analyst", 3), ("zj_analyst", 9), ("ops", 9)):
        figures = two.call(who, "/fraud/figures", **day)
        assert figures.status_code == 200, figures.text
        assert figures.json()["warnings"] == expected, who
        series = two.call(who, "/fraud/figures/series", **day).json()
        assert sum(b["warnings"] for b in series["buckets"]) == expected, who
    with two.services.db.session() as session:
        yuelong = session.scalar(select(Area.id).where(Area.code == "nh-yuelong"))
    other = two.call("xs_analyst", "/fraud/figures", area_id=yuelong, **day)
    assert (other.status_code, other.json()["error"]["field"]) == (403, "area_id")


def test_a_countys_admin_sees_and_sets_its_own_countys_community_officers_only(two: TwoCounties) -> None:
    with two.services.db.session() as session:
        areas = {a.code: a.id for a in session.scalars(select(Area))}
        officer = session.scalar(select(User.id).where(User.username == "nh_officer"))
    card = {"area_id": areas["nh-yuelong"], "contact_phone": "13905759999", "office": "跃龙派出所"}
    # 象山's admin can neither give 宁海's officer a card nor put an officer on a 宁海 area.
    theirs = _send(two, "PUT", "xs_admin", f"/desk/admin/officers/{officer}", card)
    assert (theirs.status_code, theirs.json()["error"]["field"]) == (422, "user_id")
    set_by_nh = _send(two, "PUT", "nh_admin", f"/desk/admin/officers/{officer}", card)
    assert set_by_nh.status_code == 200, set_by_nh.text
    elsewhere = _send(
        two, "PUT", "nh_admin", f"/desk/admin/officers/{officer}", {**card, "area_id": areas["xs-dandong"]}
    )
    assert (elsewhere.status_code, elsewhere.json()["error"]["field"]) == (422, "area_id")

    def cards(who: str) -> list[int]:
        answer = _send(two, "GET", who, "/desk/admin/officers")
        assert answer.status_code == 200, answer.text
        return [c["user_id"] for c in answer.json()]

    assert cards("nh_admin") == [officer]
    assert cards("xs_admin") == [], "before: every county's officers, their numbers unmasked for the admin"
    assert cards("ops") == [officer]


def test_a_countys_commander_registers_mediators_of_its_own_countys_units_only(two: TwoCounties) -> None:
    body = {"name": "跃龙调解室", "kind": "room", "unit_id": two.units["station-nh-yuelong"]}
    theirs = _send(two, "POST", "xs_admin", "/command/disputes/mediators", body)
    assert (theirs.status_code, theirs.json()["error"]["field"]) == (403, "unit_id")
    own = _send(two, "POST", "nh_commander", "/command/disputes/mediators", body)
    assert own.status_code == 201, own.text
    mine = _send(
        two, "POST", "xs_admin", "/command/disputes/mediators", {**body, "unit_id": two.units["station-xs-dandong"]}
    )
    assert mine.status_code == 201, mine.text
