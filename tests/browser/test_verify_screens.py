"""The command centre's screens in the staff UI: a list pushed by the centre (核查清单) and checked by two stations
to completion; community rehabilitation (社区戒毒) shown only to a user holding the 禁毒 duty; the traffic
enforcement figures (交通执法) with 同比."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from sqlalchemy import select

from pingan.command.rehab.schemas import PlanIn
from pingan.command.verify.models import VerifyList
from pingan.core.models import Duty, User
from tests.browser.charts import assert_chart_text_is_chinese, watch_first_chart_draw
from tests.browser.conftest import LiveApp, open_screen
from tests.browser.test_audit_screen import log_in


def _open(page: Any, screen: str) -> None:
    open_screen(page, screen)
    expect(page.locator(f".nav-link[data-screen='{screen}']")).to_have_class(re.compile(r"\bis-active\b"))


def _log_out(page: Any) -> None:
    page.evaluate("window.localStorage.clear(); window.sessionStorage.clear()")
    page.goto("/static/index.html#/login")


def _check_own_row(page: Any, screenshots: Path, who: str, shot: str) -> None:
    log_in(page, who)
    _open(page, "verify")
    page.locator(".verify-lists tbody tr").filter(has_text="重点人员核查").click()
    rows = page.locator(".verify-items tbody tr")
    expect(rows).to_have_count(1)  # a station sees its own row only
    rows.get_by_role("button", name="签收").click()
    expect(rows.get_by_role("button", name="签收")).to_have_count(0)
    rows.get_by_role("button", name="反馈").click()
    page.locator(".dlg select[name='finding']").select_option("handled")
    page.locator(".dlg textarea[name='measures']").fill("已上门见到本人，落实居家监测")
    page.screenshot(path=str(screenshots / shot))
    page.locator(".dlg").get_by_role("button", name="提交").click()
    expect(rows).to_contain_text("已处置")
    _log_out(page)


def test_a_pushed_list_is_checked_by_the_stations_to_completion(
    desktop: Any, live_app: LiveApp, screenshots: Path, tmp_path: Path
) -> None:
    page = desktop
    lon, lat = live_app.officer_point  # in 丹东
    csv = tmp_path / "list.csv"
    csv.write_text(
        "id,kind,name,phone,address,lon,lat,note\n"
        f"b1,person,钱多多,,,{lon},{lat},旅居史\n"
        "b2,person,孙小小,,象山县丹西街道新民路8号,,,密接\n"
        "b3,person,,,,,,\n",
        encoding="utf-8",
    )
    log_in(page, "qzzx")
    _open(page, "verify")
    page.get_by_role("button", name="推送清单").click()
    page.locator(".dlg input[name='title']").fill("重点人员核查")
    page.locator(".dlg textarea[name='reason']").fill("市局下发，限时核查")
    page.locator(".dlg input[name='file']").set_input_files(str(csv))
    page.screenshot(path=str(screenshots / "verify-01-push-dialog.png"))
    page.locator(".dlg").get_by_role("button", name="推送").click()
    result = page.locator(".dlg").filter(has_text="推送结果")
    expect(result).to_contain_text("下发 2 条")
    expect(result).to_contain_text("第 4 行")
    result.locator(".btn-ghost").click()
    detail = page.locator(".verify-detail")
    expect(detail).to_contain_text("重点人员核查")
    expect(page.locator(".verify-stations tbody tr")).to_have_count(2)
    expect(page.locator(".verify-items tbody")).to_contain_text("钱**")
    expect(page.locator(".verify-items tbody")).not_to_contain_text("钱多多")
    page.screenshot(path=str(screenshots / "verify-02-pushed.png"))
    _log_out(page)

    _check_own_row(page, screenshots, "dandong_mj1", "verify-03-dandong-feedback.png")
    _check_own_row(page, screenshots, "danxi_mj1", "verify-04-danxi-feedback.png")

    log_in(page, "qzzx")
    _open(page, "verify")
    page.locator(".verify-lists tbody tr").filter(has_text="重点人员核查").click()
    cards = page.locator(".verify-detail .cards")
    expect(cards).to_contain_text("完成率 100.0%")
    expect(page.locator(".verify-lists tbody tr").filter(has_text="重点人员核查")).to_contain_text("2/2")
    expect(page.locator(".verify-items tbody")).to_contain_text("落实居家监测")
    page.screenshot(path=str(screenshots / "verify-05-complete.png"), full_page=True)
    with live_app.services.db.session() as session:
        assert session.scalar(select(VerifyList.rows).where(VerifyList.title == "重点人员核查")) == 2


def test_rehabilitation_is_shown_only_to_a_user_with_the_narcotics_duty(
    desktop: Any, live_app: LiveApp, screenshots: Path
) -> None:
    page = desktop
    services = live_app.services
    today = services.clock.now().date()
    with services.db.session() as session:
        person = session.execute(select(User).where(User.username == "dandong_mj2")).scalar_one()
        body = PlanIn.model_validate(
            {
                "id": "browser-rehab-1",
                "kind": "社区康复",
                "name": "周某某",
                "id_number": "330225199001011234",
                "address": "象山县丹东街道丹河社区1号",
                "starts_on": (today - timedelta(days=15)).isoformat(),
                "ends_on": (today + timedelta(days=700)).isoformat(),
                "officer": person.username,
            }
        )
        services.rehab.create(session, body)
        services.rehab.sweep(session)
    log_in(page, "qzzx")  # a commander without the duty: no such screen
    expect(page.locator(".nav-link[data-screen='rehab']")).to_have_count(0)
    _log_out(page)
    # The admin grants the duty in the back office (后台 → 用户).
    log_in(page, "admin")
    page.goto("/static/index.html#/admin?tab=users&q=dandong_mj2")
    row = page.locator(".users-table tbody tr").filter(has_text="dandong_mj2")
    expect(row).to_have_count(1)
    row.locator("input[name='duty-narcotics']").check()
    expect(
        page.locator(".users-table tbody tr").filter(has_text="dandong_mj2").locator("input[name='duty-narcotics']")
    ).to_be_checked()
    page.screenshot(path=str(screenshots / "rehab-00-duty-granted.png"))
    with services.db.session() as session:
        user = session.execute(select(User).where(User.username == "dandong_mj2")).scalar_one()
        assert user.duties == [Duty.NARCOTICS.value]
    _log_out(page)
    log_in(page, "dandong_mj2")
    _open(page, "rehab")
    row = page.locator(".rehab-plans tbody tr").filter(has_text="周**")
    expect(row).to_have_count(1)
    expect(row).not_to_contain_text("周某某")
    expect(page.locator(".rehab-screen .cards")).to_contain_text("在管率")
    row.get_by_role("link").click()
    expect(page.locator(".rehab-detail")).to_contain_text("未按期")
    page.screenshot(path=str(screenshots / "rehab-01-plans.png"), full_page=True)
    row.get_by_role("button", name="登记").click()
    page.locator(".dlg").get_by_role("button", name="登记").click()
    expect(page.locator(".rehab-screen .cards")).to_contain_text("已完成 1")
    expect(page.locator(".rehab-detail tbody tr").filter(has_text="待完成")).to_have_count(1)  # only next week's
    page.screenshot(path=str(screenshots / "rehab-02-recorded.png"), full_page=True)


def test_the_traffic_figures_compare_with_the_year_before(desktop: Any, live_app: LiveApp, screenshots: Path) -> None:
    page = desktop
    services = live_app.services
    now = services.clock.now()
    lon, lat = live_app.officer_point
    rows = []
    for i, kind in enumerate(["三小车", "三小车", "酒驾", "电动自行车", "重点车辆", "电动自行车"]):
        at = (now - timedelta(days=1 + i)).isoformat()
        rows.append(
            (i + 2, {"id": f"br-{i}", "type": kind, "at": at, "lon": str(lon), "lat": str(lat), "outcome": "罚款"})
        )
    for i in range(4):
        at = (now - timedelta(days=366 + i)).isoformat()
        rows.append((i + 20, {"id": f"br-old-{i}", "type": "三小车", "at": at, "outcome": "警告"}))
    with services.db.session() as session:
        report = services.traffic.import_rows(session, rows)
    assert report.accepted == 10
    watch_first_chart_draw(page)
    log_in(page, "qzzx")
    _open(page, "traffic")
    page.get_by_role("button", name="近一年").click()
    cards = page.locator(".traffic-screen .cards")
    expect(cards).to_contain_text("三小车")
    expect(cards).to_contain_text("同比")
    expect(page.locator(".traffic-screen tr[data-key='three_small']").first).to_contain_text("2")
    # The monthly chart's legend in Chinese glyphs (the same fonts as the panel's heading), not empty boxes.
    legend = assert_chart_text_is_chinese(page, "[data-chart='traffic-months']", ".traffic-screen .panel-wide h3")
    assert {"本期", "去年同期"} <= set(legend)
    page.screenshot(path=str(screenshots / "traffic-01-figures.png"), full_page=True)
