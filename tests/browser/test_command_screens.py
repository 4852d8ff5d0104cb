"""The command centre's screens in the browser: 打榜 (a commander reads last month's ranking with its change
arrows, opens the figures behind a station and publishes it; a station head sees their own position; an
officer has no such screen) and 大屏 (at 1920×1080, dark, without scrollbars: every figure tile with 同比 and
环比, the map coloured by open and overdue work, the queues of every task kind, the trends and the ranking's
ends). Screenshots: artifacts/screenshots/command-*.png.

The two stations' work is put in the tasks table for the last two months (relative to today), so that
the stations swap places: 丹西 did better the month before last, 丹东 last month.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from pingan.core.models import Task
from tests.browser.charts import assert_chart_text_is_chinese, watch_first_chart_draw
from tests.browser.conftest import LiveApp
from tests.browser.test_fraud_loop import log_in
from tests.desk_county import TOWNS

DANDONG, DANXI = TOWNS
LOCAL = ZoneInfo("Asia/Shanghai")
WALL = {"width": 1920, "height": 1080}


def shot(page: Any, screenshots: Path, name: str) -> None:
    page.screenshot(path=str(screenshots / f"command-{name}.png"))


def month_start(months_back: int) -> datetime:
    today = datetime.now(LOCAL)
    y, m = today.year, today.month - months_back
    while m < 1:
        y, m = y - 1, m + 12
    return datetime(y, m, 1, tzinfo=LOCAL)


def period_key(at: datetime) -> str:
    return f"{at.year:04d}-{at.month:02d}"


def _task(unit: int, area: int, at: datetime, *, late: bool, outcome: str, ref: int) -> Task:
    return Task(
        kind="hidden_danger",
        status="closed",
        title=f"隐患整改 {ref}",
        ref_type="hidden_danger",
        ref_id=ref,
        area_id=area,
        unit_id=unit,
        created_at=at,
        updated_at=at,
        breaches=1 if late else 0,
        outcome=outcome,
        closed_at=at + timedelta(hours=3),
        facts={},
    )


@pytest.fixture(scope="module")
def two_months(live_app: LiveApp) -> dict[str, str]:
    """丹西 ahead the month before last, 丹东 ahead last month; returns both periods' keys."""
    before, last = month_start(2), month_start(1)
    plan = {  # (town, month start) → (on time, late)
        (DANXI, before): (4, 0),
        (DANDONG, before): (1, 2),
        (DANDONG, last): (5, 0),
        (DANXI, last): (1, 3),
    }
    with live_app.services.db.session() as s:
        for (town, start), (on_time, late) in plan.items():
            unit, area = live_app.county.station_units[town], live_app.county.stations[town]
            at = (start + timedelta(days=3, hours=10)).astimezone(UTC)
            for i in range(on_time + late):
                s.add(_task(unit, area, at + timedelta(minutes=i), late=i >= on_time, outcome="accepted", ref=9000 + i))
    return {"before": period_key(before), "last": period_key(last)}


def test_a_commander_reads_last_months_ranking_opens_a_station_and_publishes_it(
    desktop: Any, live_app: LiveApp, screenshots: Path, two_months: dict[str, str]
) -> None:
    page = desktop
    log_in(page, "qzzx", "ranking")
    page.goto(f"/static/index.html#/ranking?period={two_months['last']}")
    rows = page.locator(".rank-table tbody tr")
    expect(rows).to_have_count(2)
    first = rows.nth(0)
    expect(first).to_contain_text("丹东")
    expect(first.locator(".rank-pos")).to_have_text("1")
    expect(first.locator(".rank-change")).to_have_text("↑1")
    expect(rows.nth(1).locator(".rank-change")).to_have_text("↓1")
    expect(page.locator("[data-role='weights']")).to_contain_text("权重")
    expect(page.locator("[data-role='weights'] [data-indicator='dangers_rectified']")).to_contain_text("隐患整改")
    expect(page.locator("[data-role='state']")).to_contain_text("未发布")
    first.click()
    detail = page.locator("[data-role='detail']")
    expect(detail).to_be_visible()
    expect(detail.locator("[data-indicator='tasks_on_time']")).to_contain_text("按期 5 / 办结 5")
    shot(page, screenshots, "ranking-commander")

    page.get_by_role("button", name="发布通报").click()
    page.locator(".dlg").get_by_role("button", name="发布").click()
    expect(page.locator("[data-role='state']")).to_contain_text("已发布")
    expect(page.get_by_role("button", name="发布通报")).to_be_hidden()
    published = live_app.call("qzzx", "GET", "/command/rankings/published")
    assert [(i["board"], i["period"]) for i in published["items"]] == [("stations", two_months["last"])]

    # the month is chosen from a list that reads 2026年11月 whatever the browser's locale
    month = page.locator("select[name='period']")
    expect(month).to_have_value(two_months["last"])
    before_y, before_m = two_months["before"].split("-")
    label = f"{before_y}年{int(before_m)}月"
    expect(month.locator("option", has_text=label)).to_have_count(1)
    month.select_option(label=label)
    expect(page).to_have_url(re.compile(rf"period={two_months['before']}"))
    expect(rows.nth(0)).to_contain_text("丹西")
    page.goto("/static/index.html#/ranking?board=departments")
    expect(page.locator(".rank-table-wrap")).to_contain_text("治安大队")  # the 警种 board
    expect(page.locator(".rank-table tbody tr .rank-pos").first).to_have_text("1")  # nothing to count: all first


def test_a_station_head_sees_the_table_with_their_own_position(
    desktop: Any, live_app: LiveApp, screenshots: Path, two_months: dict[str, str]
) -> None:
    page = desktop
    log_in(page, "danxi_sz", "ranking")
    page.goto(f"/static/index.html#/ranking?period={two_months['last']}")
    own = page.locator("[data-role='own']")
    expect(own).to_be_visible()
    expect(own).to_contain_text("第 2 名")
    expect(page.locator(".rank-table tr.is-own")).to_contain_text("丹西")
    expect(page.get_by_role("button", name="发布通报")).to_be_hidden()
    shot(page, screenshots, "ranking-station-head")


def test_an_officer_has_neither_screen(desktop: Any, live_app: LiveApp) -> None:
    page = desktop
    log_in(page, "dandong_mj1", "tasks")
    expect(page.locator(".nav-link[data-screen='ranking']")).to_have_count(0)
    expect(page.locator(".nav-link[data-screen='screen']")).to_have_count(0)


@pytest.fixture
def wall_page(browser: Any, live_app: LiveApp) -> Iterator[Any]:
    """A page the size of the centre's 1080p wall, watching its charts' first draw; fails if the page throws."""
    context = browser.new_context(viewport=WALL, locale="zh-CN", timezone_id="Asia/Shanghai", base_url=live_app.url)
    context.set_default_timeout(20000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    watch_first_chart_draw(page)
    try:
        yield page
    finally:
        context.close()
    assert errors == [], f"the page threw: {errors}"


def overflowing(page: Any) -> dict[str, Any]:
    """Whether the wall scrolls, and which of its panels, tiles and queues cut their content."""
    result: dict[str, Any] = page.evaluate(
        """() => {
            const d = document.documentElement;
            const wall = document.querySelector('.bigscreen');
            const over = [...document.querySelectorAll('.bs-panel, .bs-tile, .bs-kind')]
              .filter((e) => e.scrollHeight > e.clientHeight + 2).map((e) => e.className);
            return {page: d.scrollHeight > innerHeight || d.scrollWidth > innerWidth,
                    wall: wall.scrollHeight > wall.clientHeight, over};
        }"""
    )
    return result


def test_the_big_screen_fills_a_1080p_wall_with_every_figure_the_map_and_the_queues(
    wall_page: Any, screenshots: Path, two_months: dict[str, str]
) -> None:
    page = wall_page
    log_in(page, "qzzx", "screen")
    wall = page.locator("[data-role='bigscreen']")
    expect(wall).to_be_visible()
    expect(page.locator(".topbar")).to_be_hidden()
    tiles = page.locator(".bs-tile")
    expect(tiles).to_have_count(25)
    expect(page.locator(".bs-tile[data-tile='warnings'] [data-cmp='同比']")).to_contain_text("同比")
    expect(page.locator(".bs-tile[data-tile='warnings'] [data-cmp='环比']")).to_contain_text("环比")
    kinds = page.locator(".bs-kind")
    expect(kinds.first).to_be_visible()
    names = kinds.locator(".bs-kind-name").all_inner_texts()
    assert "劝阻" in "".join(names)
    expect(page.locator(".bs-map path.leaflet-interactive").first).to_be_visible()
    expect(page.locator("[data-role='ranking'] .bs-rank-row").first).to_be_visible()
    expect(page.locator("[data-role='status']")).to_contain_text("实时")
    # Both trends drawn (a locator, not a string evaluated in the page: the CSP forbids eval).
    expect(page.locator(".bs-trend svg").nth(1)).to_be_attached()
    # The trends' legends and axis names in Chinese glyphs, not empty boxes: the same fonts as the tiles'.
    reference = ".bs-tile[data-tile='warnings'] .bs-tile-label"
    assert {"预警", "劝阻成功"} <= set(assert_chart_text_is_chinese(page, "[data-chart='bs-fraud']", reference))
    assert {"诉求", "答复及时率", "件", "及时率"} <= set(
        assert_chart_text_is_chinese(page, "[data-chart='bs-desk']", reference)
    )
    page.wait_for_timeout(500)
    assert overflowing(page) == {"page": False, "wall": False, "over": []}, overflowing(page)
    size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.bs-tile-value')).fontSize)")
    assert size >= 28  # readable from across the room
    shot(page, screenshots, "bigscreen-1080p")
    page.get_by_role("button", name="退出大屏").click()
    expect(page.locator(".topbar")).to_be_visible()


LONG_NAME = "黔西南布依族苗族自治州公安局某某分局某某派出所"


def test_the_big_screens_ranking_shows_a_long_unit_name_on_two_lines_beside_its_score(
    wall_page: Any, screenshots: Path, two_months: dict[str, str]
) -> None:
    page = wall_page

    def long_name_first(route: Any) -> None:
        # The county's own stations have short names; the wall is given one as long as a real one can be.
        response = route.fetch()
        data = response.json()
        data["ranking"]["top"][0]["name"] = LONG_NAME
        route.fulfill(response=response, json=data)

    page.route(re.compile(r"/api/v1/command/screen(\?|$)"), long_name_first)
    log_in(page, "qzzx", "screen")
    panel = page.locator("[data-role='ranking']")
    long_row = panel.locator(".bs-rank-row", has=page.locator(f".bs-rank-name[title='{LONG_NAME}']"))
    expect(long_row).to_have_count(1)
    page.wait_for_timeout(300)
    rows: list[dict[str, Any]] = panel.locator(".bs-rank-row").evaluate_all(
        """(rows) => rows.map((row) => {
            const name = row.querySelector('.bs-rank-name');
            const score = row.querySelector('.bs-rank-score');
            const box = (e) => e.getBoundingClientRect();
            const line = parseFloat(getComputedStyle(name).lineHeight);
            return {
                name: name.textContent, title: name.title, lines: Math.round(box(name).height / line),
                cut: name.scrollHeight > name.clientHeight + 1 || name.scrollWidth > name.clientWidth + 1,
                score: score.textContent, nameRight: box(name).right, scoreLeft: box(score).left,
                scoreRight: box(score).right, rowRight: box(row).right, panelRight: box(row.closest('.bs-panel')).right,
            };
        })"""
    )
    long, *short = [r for r in rows if r["name"] == LONG_NAME] + [r for r in rows if r["name"] != LONG_NAME]
    assert long["title"] == LONG_NAME  # the whole name on hover
    assert long["lines"] == 2, long  # wrapped to two lines, the rest cut with an ellipsis
    assert short, rows
    assert all(r["lines"] == 1 and not r["cut"] for r in short), short  # a station's name whole
    for r in rows:
        assert re.fullmatch(r"\d+\.\d", r["score"]), r
        assert r["nameRight"] <= r["scoreLeft"], r  # the score beside the name, not under it
        assert r["scoreRight"] <= r["rowRight"] <= r["panelRight"], r  # and inside the panel
    assert overflowing(page) == {"page": False, "wall": False, "over": []}, overflowing(page)
    panel.locator("xpath=ancestor::section").screenshot(
        path=str(screenshots / "command-bigscreen-ranking-long-name.png")
    )
    shot(page, screenshots, "bigscreen-1080p-long-name")


def test_the_big_screen_is_the_centres_only(desktop: Any, live_app: LiveApp) -> None:
    page = desktop
    log_in(page, "dandong_sz", "ranking")
    expect(page.locator(".nav-link[data-screen='screen']")).to_have_count(0)
    page.goto("/static/index.html#/screen")
    expect(page.locator("[data-role='bigscreen']")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"#/(?!screen)"))
