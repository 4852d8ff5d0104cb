"""接警 and 巡防勤务 in the browser: the 情指中心 takes a 110 call with its place picked on the map, dispatches
the unit the "135" reach proposes, records its arrival and the outcome; a station head sees the zones and
units on the map, draws the 135 circles around a clicked point, and reads today's roster; an officer takes a
walk-in. The patrol world is the demo's (`setup_patrol_demo`: 17 zones over 丹东 and 丹西, units, the week's
roster)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from pingan.demo.patrol_sim import setup_patrol_demo
from tests.browser.conftest import LiveApp
from tests.browser.test_audit_screen import log_in

_seeded: list[int] = []


def seed(app: LiveApp) -> None:
    if _seeded:
        return
    demo = setup_patrol_demo(app.services, seed=11)
    _seeded.append(demo.units)
    assert len(demo.zones) == 17
    assert demo.units > 0


def test_the_commander_takes_a_110_call_dispatches_the_nearest_unit_and_closes_it(
    desktop: Any, live_app: LiveApp, screenshots: Path
) -> None:
    seed(live_app)
    page = desktop
    log_in(page, "qzzx")
    page.goto("/static/index.html#/alarms")
    form = page.locator(".alarm-form-grid")
    expect(form).to_be_visible()
    form.locator("select[name='category']").select_option("public_order")
    form.locator("textarea[name='text']").fill("广场有人打架，有人受伤")
    form.locator("input[name='caller_phone']").fill("13905749999")
    page.locator(".alarm-map .leaflet-marker-icon").wait_for()
    box = page.locator(".alarm-map").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator(".alarm-where")).to_contain_text("已选位置")
    form.get_by_role("button", name="接警").click()
    detail = page.locator(".alarm-detail")
    expect(detail).to_contain_text("紧急")  # raised from 一般 by 打架/受伤
    expect(detail).to_contain_text("正在发生或有人受伤")
    expect(detail.locator(".alarm-facts")).not_to_contain_text("13905749999")  # the caller masked
    proposals = detail.locator(".reach-table tbody tr")
    expect(proposals.first).to_be_visible()
    first_unit = proposals.first.get_attribute("data-unit")
    expect(page.locator(".alarm-table tbody tr").first).to_contain_text("待派警")
    page.screenshot(path=str(screenshots / "staff-alarms-intake.png"))
    proposals.first.get_by_role("button", name="派警").click()
    expect(detail.locator(".alarm-facts")).to_contain_text(first_unit or "")
    expect(detail.locator(".alarm-facts")).to_contain_text("已派警")
    detail.get_by_role("button", name="到场").click()
    expect(detail.locator(".alarm-facts")).to_contain_text("已到场")
    finish = detail.locator(".alarm-finish")
    finish.locator("select[name='outcome']").select_option("mediated")
    finish.locator("textarea[name='result']").fill("双方已调解，伤者送医")
    finish.get_by_role("button", name="提交反馈").click()
    expect(detail.locator(".alarm-facts")).to_contain_text("调解：双方已调解")
    expect(page.locator(".alarm-table tbody tr").first).to_contain_text("已处置")
    page.screenshot(path=str(screenshots / "staff-alarms-closed.png"))


def test_a_station_head_draws_the_135_circles_and_reads_todays_roster(
    desktop: Any, live_app: LiveApp, screenshots: Path
) -> None:
    seed(live_app)
    page = desktop
    log_in(page, "dandong_sz")
    page.goto("/static/index.html#/patrol")
    the_map = page.locator(".patrol-map")
    expect(the_map).to_have_attribute("data-zones", "17")
    expect(page.locator(".patrol-map .patrol-unit").first).to_be_attached()
    box = the_map.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    expect(page.locator(".reach-circle-list")).to_have_count(3)
    expect(page.locator(".reach-circle-3")).to_be_attached()
    expect(page.locator(".reach-result")).to_contain_text("道路系数")
    page.screenshot(path=str(screenshots / "staff-patrol-reach.png"))
    page.get_by_role("button", name="今日勤务").click()
    rows = page.locator(".roster-row")
    expect(rows.first).to_be_visible()
    expect(page.locator(".patrol-pane")).to_contain_text("在岗")
    page.get_by_role("button", name="巡组").click()
    expect(page.locator(".unit-row").first).to_be_visible()
    page.screenshot(path=str(screenshots / "staff-patrol-roster.png"))


def test_an_officer_takes_a_walk_in_without_a_place(desktop: Any, live_app: LiveApp) -> None:
    seed(live_app)
    page = desktop
    log_in(page, "dandong_mj1")
    page.goto("/static/index.html#/alarms")
    form = page.locator(".alarm-form-grid")
    form.locator("select[name='source']").select_option("walk_in")
    form.locator("select[name='category']").select_option("help")
    form.locator("textarea[name='text']").fill("来所报称钱包遗失")
    form.get_by_role("button", name="接警").click()
    expect(page.locator(".alarm-detail")).to_contain_text("来所报警")
    expect(page.locator(".alarm-detail")).to_contain_text("非紧急")
