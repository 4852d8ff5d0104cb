"""隐患整治 and 矛盾纠纷 in the staff UI. A fire lane is recorded by the 情指中心 with 住建 leading and 消防 as
co-department; each department's own user signs in, sees only its findings, signs, reports its part with
after-photos; the lead submits for acceptance and the station's officer accepts on site; the figures and the
map show it. A station officer mediates a dispute to resolution. Screenshots are kept."""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from sqlalchemy import select

from pingan.core.identity import create_user
from pingan.core.models import Role, Unit, UnitKind
from tests.browser.conftest import LiveApp
from tests.browser.conftest import open_screen as open_from_menu
from tests.browser.test_audit_screen import log_in
from tests.desk_county import PASSWORD

DEPARTMENTS = (
    ("dept-zj", "县住建局", "zj_user"),
    ("dept-xf", "县消防救援大队", "xf_user"),
    ("dept-jt", "县交通运输局", "jt_user"),
)


def png(colour: tuple[int, int, int], size: int = 64) -> bytes:
    """A small valid PNG of one colour (browsers render it; the server sniffs it)."""
    raw = b"".join(b"\x00" + bytes(colour) * size for _ in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def departments(live_app: LiveApp) -> dict[str, int]:
    ids: dict[str, int] = {}
    with live_app.services.db.session() as session:
        for code, name, username in DEPARTMENTS:
            unit = session.scalar(select(Unit).where(Unit.code == code))
            if unit is None:
                unit = Unit(code=code, name=name, kind=UnitKind.GOVERNANCE)
                session.add(unit)
                session.flush()
                create_user(
                    session,
                    username,
                    PASSWORD,
                    role=Role.GOVERNANCE,
                    display_name=f"{name} 联络员",
                    unit_id=unit.id,
                    now=live_app.services.clock.now(),
                )
            ids[code] = unit.id
    return ids


def open_screen(page: Any, screen: str) -> None:
    open_from_menu(page, screen)
    expect(page.locator(f".nav-link[data-screen='{screen}']")).to_have_class(re.compile(r"\bis-active\b"))


def log_out(page: Any) -> None:
    page.evaluate("window.localStorage.clear(); window.sessionStorage.clear()")
    page.goto("/static/index.html#/login")


def test_a_fire_lane_is_worked_by_two_departments_to_on_site_acceptance(
    desktop: Any, live_app: LiveApp, screenshots: Path, tmp_path: Path
) -> None:
    page = desktop
    departments(live_app)
    lon, lat = live_app.officer_point
    after = tmp_path / "after.png"
    after.write_bytes(png((40, 160, 60)))
    before = tmp_path / "before.png"
    before.write_bytes(png((200, 60, 40)))

    # the centre records the finding: 住建 leads, 消防 works on it
    log_in(page, "qzzx")
    open_screen(page, "dangers")
    page.locator("[data-action='new-danger']").click()
    dlg = page.locator(".dlg")
    dlg.locator("select[name='kind']").select_option("fire_lane")
    dlg.locator("input[name='title']").fill("商贸小区消防通道被摩托车占用")
    dlg.locator("input[name='place']").fill("丹东商贸小区北门")
    dlg.locator("input[name='lon']").fill(str(lon))
    dlg.locator("input[name='lat']").fill(str(lat))
    dlg.locator("select[name='lead_unit_id']").select_option(label="县住建局")
    dlg.locator("label.check", has_text="县消防救援大队").locator("input").check()
    dlg.locator("textarea[name='plan']").fill("住建施划禁停标线、设隔离桩；消防依法处罚占用行为")
    page.screenshot(path=str(screenshots / "dangers-01-new-finding.png"))
    dlg.get_by_role("button", name="登记").click()
    detail = page.locator(".danger-detail")
    expect(detail).to_contain_text("商贸小区消防通道被摩托车占用")
    expect(detail.locator(".danger-progress tbody tr")).to_have_count(2)
    expect(detail.locator(".danger-progress")).to_contain_text("县住建局")
    expect(detail.locator(".danger-progress")).to_contain_text("县消防救援大队")
    detail.locator("input[type='file']").set_input_files(str(before))  # the default stage for the centre: 整改前
    expect(detail.locator(".danger-photo[data-stage='before']")).to_have_count(1)
    page.screenshot(path=str(screenshots / "dangers-02-recorded.png"))
    # the list is exported as the screen filters it
    with page.expect_download() as exported:
        page.locator(".dangers-screen .toolbar .export-tools [data-export='csv']").click()
    assert exported.value.suggested_filename.endswith(".csv")
    log_out(page)

    # 消防 signs in: it sees only this finding, signs and reports its part with an after-photo
    log_in(page, "xf_user")
    open_screen(page, "dangers")
    rows = page.locator(".dangers-table tbody tr")
    expect(rows).to_have_count(1)
    rows.first.click()
    part = page.locator(".danger-progress tbody tr[data-role='co']")
    part.locator("[data-action='sign']").click()
    expect(part.locator("[data-action='report']")).to_be_visible()
    expect(page.locator(".danger-progress tbody tr[data-role='lead'] button")).to_have_count(0)
    page.locator(".danger-upload select[name='stage']").select_option("after")
    page.locator(".danger-upload input[type='file']").set_input_files(str(after))
    expect(page.locator(".danger-photo[data-stage='after']")).to_have_count(1)
    part = page.locator(".danger-progress tbody tr[data-role='co']")
    part.locator("[data-action='report']").click()
    page.locator(".dlg textarea[name='summary']").fill("已对占用消防通道的3辆摩托车车主依法处罚")
    page.locator(".dlg").get_by_role("button", name="提交").click()
    expect(page.locator(".danger-progress tbody tr[data-role='co']")).to_contain_text("已反馈")
    page.screenshot(path=str(screenshots / "dangers-03-co-department-reported.png"))
    log_out(page)

    # 交通 is on no part of it: it sees nothing
    log_in(page, "jt_user")
    open_screen(page, "dangers")
    expect(page.locator(".dangers-body .empty")).to_contain_text("没有符合条件的隐患")
    log_out(page)

    # 住建 (the lead) signs, adds its own after-photo and submits for acceptance
    log_in(page, "zj_user")
    open_screen(page, "dangers")
    page.locator(".dangers-table tbody tr").first.click()
    lead = page.locator(".danger-progress tbody tr[data-role='lead']")
    lead.locator("[data-action='sign']").click()
    # the lead revises its plan after signing (修改方案); the reason goes to the task's history
    page.locator(".danger-progress tbody tr[data-role='lead'] [data-action='revise']").click()
    dlg = page.locator(".dlg")
    expect(dlg.locator("label.check", has_text="县消防救援大队").locator("input")).to_be_checked()
    # the deadline reads YYYY-MM-DD whatever the browser's locale; a checkbox stands beside its department
    expect(dlg.locator("input[name='due_date']")).to_have_value(re.compile(r"^\d{4}-\d{2}-\d{2}$"))
    box = dlg.locator("label.check", has_text="县消防救援大队").locator("input").bounding_box()
    name = dlg.locator("label.check", has_text="县消防救援大队").bounding_box()
    assert box is not None
    assert name is not None
    assert box["x"] - name["x"] < 8
    dlg.locator("textarea[name='plan']").fill("住建施划禁停标线、设隔离桩；消防依法处罚占用行为；增设监控一处")
    dlg.locator("textarea[name='reason']").fill("现场复核后补充监控")
    page.screenshot(path=str(screenshots / "dangers-03b-revise.png"))
    dlg.get_by_role("button", name="保存").click()
    expect(page.locator(".danger-detail")).to_contain_text("增设监控一处")
    page.locator(".danger-upload select[name='stage']").select_option("after")
    page.locator(".danger-upload input[type='file']").set_input_files(str(after))
    expect(page.locator(".danger-photo[data-stage='after']")).to_have_count(2)
    page.locator(".danger-progress tbody tr[data-role='lead'] [data-action='submit']").click()
    page.locator(".dlg textarea[name='summary']").fill("已施划禁停标线，设置隔离桩12根")
    page.locator(".dlg").get_by_role("button", name="提交").click()
    expect(page.locator(".danger-detail .case-head")).to_contain_text("待验收")
    expect(page.locator(".danger-acceptance")).to_have_count(0)  # a department does not accept its own work
    log_out(page)

    # the station's officer accepts on site
    log_in(page, "dandong_mj1")
    open_screen(page, "dangers")
    page.locator(".dangers-table tbody tr").filter(has_text="商贸小区").first.click()
    expect(page.locator(".danger-photo[data-stage='after'] img").first).to_have_attribute(
        "src", re.compile("^data:image/png")
    )
    page.screenshot(path=str(screenshots / "dangers-04-awaiting-acceptance.png"))
    page.locator(".danger-acceptance [data-action='accept']").click()
    page.locator(".dlg textarea[name='opinion']").fill("现场验收合格，消防通道畅通")
    page.locator(".dlg").get_by_role("button", name="提交").click()
    expect(page.locator(".danger-detail .case-head")).to_contain_text("已整改")
    page.screenshot(path=str(screenshots / "dangers-05-accepted.png"))
    log_out(page)

    # the centre's figures and map
    log_in(page, "qzzx")
    open_screen(page, "dangers")
    page.get_by_role("button", name="统计").click()
    figures = page.locator(".danger-figures").first
    lane = figures.locator("tbody tr").filter(has_text="生命通道")
    expect(lane.locator("td").nth(1)).to_have_text(re.compile(r"^[1-9]"))
    page.screenshot(path=str(screenshots / "dangers-06-figures.png"), full_page=True)
    page.get_by_role("button", name="地图").click()
    expect(page.locator(".dangers-map")).to_have_attribute("data-points", re.compile(r"^[1-9]"))
    page.screenshot(path=str(screenshots / "dangers-07-map.png"))
    # back to the list (the map is taken down), filtered by kind and state
    page.get_by_role("button", name="隐患清单").click()
    expect(page.locator(".dangers-map")).to_have_count(0)
    page.locator(".dangers-screen select[name='kind']").select_option("traffic")
    expect(page.locator(".dangers-body .empty")).to_contain_text("没有符合条件的隐患")
    page.locator(".dangers-screen select[name='kind']").select_option("fire_lane")
    page.locator(".dangers-screen select[name='state']").select_option("rectified")
    row = page.locator(".dangers-table tbody tr").filter(has_text="商贸小区消防通道")
    expect(row).to_have_count(1)
    row.click()
    expect(page.locator(".danger-detail .case-head")).to_contain_text("已整改")
    page.locator(".danger-detail").get_by_role("button", name="关闭").click()
    expect(page.locator(".danger-detail")).to_be_hidden()


def test_a_station_officer_mediates_a_dispute_to_resolution(desktop: Any, live_app: LiveApp, screenshots: Path) -> None:
    page = desktop
    log_in(page, "dandong_sz")
    open_screen(page, "disputes")
    page.get_by_role("button", name="调解组织").click()
    page.get_by_role("button", name="新增调解组织").click()
    page.locator(".dlg input[name='name']").fill("刘大姐工作室")
    page.locator(".dlg input[name='note']").fill("返聘退休女民警，专门调解疑难纠纷")
    page.locator(".dlg").get_by_role("button", name="保存").click()
    expect(page.locator(".mediators-table")).to_contain_text("刘大姐工作室")
    log_out(page)

    log_in(page, "dandong_mj1")
    open_screen(page, "disputes")
    page.locator("[data-action='new-dispute']").click()
    dlg = page.locator(".dlg")
    dlg.locator("select[name='category']").select_option("emotional")
    dlg.locator("input[name='title']").fill("分手后多次口角发生推搡")
    dlg.locator("input[name='party_a']").fill("王小明")
    dlg.locator("input[name='party_a_phone']").fill("13905741234")
    dlg.locator("input[name='party_b']").fill("李小红")
    room = dlg.locator("select[name='mediator_id'] option", has_text="刘大姐工作室").get_attribute("value")
    dlg.locator("select[name='mediator_id']").select_option(room)
    dlg.get_by_role("button", name="登记").click()
    detail = page.locator(".dispute-detail")
    expect(detail).to_contain_text("王**")
    expect(detail).to_contain_text("139****1234")
    detail.locator("[data-action='session']").click()
    page.locator(".dlg textarea[name='summary']").fill("双方陈述，找准契合点")
    page.locator(".dlg").get_by_role("button", name="提交").click()
    expect(page.locator(".dispute-sessions tbody tr")).to_have_count(1)
    page.locator(".dispute-detail [data-action='agree']").click()
    page.locator(".dlg textarea[name='terms']").fill("王某赔偿医药费2000元，双方互不纠缠")
    page.locator(".dlg input[name='compensation_yuan']").fill("2000")
    page.locator(".dlg").get_by_role("button", name="提交").click()
    expect(page.locator(".dispute-detail .case-head")).to_contain_text("已达成协议")
    page.screenshot(path=str(screenshots / "disputes-01-agreed.png"))
    page.locator(".dispute-detail [data-action='follow_up']").click()
    page.locator(".dlg textarea[name='summary']").fill("回访双方，协议已履行")
    page.locator(".dlg").get_by_role("button", name="提交").click()
    expect(page.locator(".dispute-detail .case-head")).to_contain_text("已化解")
    page.locator(".dispute-detail").get_by_role("button", name=re.compile("显示完整信息")).click()
    expect(page.locator(".dispute-detail")).to_contain_text("王小明")
    page.screenshot(path=str(screenshots / "disputes-02-resolved.png"))
    page.get_by_role("button", name="统计").click()
    expect(page.locator(".figures-lead")).to_contain_text("化解 1 起")
    page.screenshot(path=str(screenshots / "disputes-03-figures.png"))

    # the ledger's filters: a state, a text, 仅看超时; the detail opens from its row and closes
    page.get_by_role("button", name="纠纷台账").click()
    rows = page.locator(".disputes-table tbody tr")
    expect(rows.filter(has_text="分手后多次口角")).to_have_count(1)
    page.locator(".disputes-screen select[name='state']").select_option("resolved")
    expect(rows).to_have_count(1)
    expect(page.locator(".disputes-body .pager-count")).to_have_attribute("data-total", "1")
    page.locator(".disputes-screen select[name='state']").select_option("received")
    expect(page.locator(".disputes-body .empty")).to_contain_text("没有符合条件的纠纷")
    page.locator(".disputes-screen select[name='state']").select_option("")
    page.locator(".disputes-screen input[name='q']").fill("不存在的纠纷")
    page.locator(".disputes-screen input[name='q']").press("Enter")
    expect(page.locator(".disputes-body .empty")).to_be_visible()
    page.locator(".disputes-screen input[name='q']").fill("口角")
    page.locator(".disputes-screen input[name='q']").press("Enter")
    expect(rows).to_have_count(1)
    page.locator(".disputes-screen input[name='overdue']").check()
    expect(page.locator(".disputes-body .empty")).to_be_visible()
    page.locator(".disputes-screen input[name='overdue']").uncheck()
    expect(rows).to_have_count(1)
    page.locator(".dispute-detail").get_by_role("button", name="关闭").click()
    expect(page.locator(".dispute-detail")).to_be_hidden()
    rows.first.press("Enter")
    # a record opened again is masked again: showing it in full is asked for (and recorded) each time
    expect(page.locator(".dispute-detail")).to_contain_text("王**")
    expect(page.locator(".dispute-detail [data-action='session']")).to_have_count(0)
    page.screenshot(path=str(screenshots / "disputes-04-filtered.png"))
