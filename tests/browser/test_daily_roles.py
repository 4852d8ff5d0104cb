"""A day in every role, in the browser: each README login (admin, the 反诈中心's analyst, the 情指中心's
commander, a station head, an officer, a bank's liaison, a governance desk, a resident on /m) signs in and
does the core of that role's day end to end; every screen the role has is photographed at 1366×768 and at
390×844 and checked for what a user should never see (a page wider than the phone, English or "undefined"
left in the text, a list empty without a word of why).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from pingan.core.identity import create_user
from pingan.core.models import Role, Task, Unit, UnitKind, User
from pingan.desk.rules.kinds import Category, Topic
from tests.browser.conftest import LiveApp, open_screen
from tests.browser.test_fraud_loop import DANDONG, ensure_analyst, register, report
from tests.browser.test_resident_flows import sign_in
from tests.browser.test_staff_desk import post
from tests.desk_county import PASSWORD

WIDE = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
# Words of the API that must never reach a reader of the Chinese UI.
LEAKS = re.compile(
    r"\b(undefined|null|NaN|Invalid Date|issued|signed|calling|visiting|feedback|evaluated|dissuaded|defrauded"
    r"|not_at_risk|unreachable|critical|medium|open|closed|pending|replied|diverted|station_head|officer|admin"
    r"|analyst|commander|governance|partner)\b|\[object Object\]"
)
BANK = ("bank-nbcb", "宁波银行象山支行")


@dataclass
class Day:
    app: LiveApp
    page: Any
    screenshots: Path

    def log_in(self, username: str) -> None:
        self.page.set_viewport_size(WIDE)
        self.page.goto("/static/index.html#/login")
        self.page.locator("input[name='username']").fill(username)
        self.page.locator("input[name='password']").fill(PASSWORD)
        self.page.get_by_role("button", name="登录").click()
        expect(self.page.locator(".topbar .nav")).to_be_visible()

    def log_out(self) -> None:
        self.page.set_viewport_size(WIDE)
        self.page.get_by_role("button", name="退出登录").click()
        expect(self.page.locator("input[name='username']")).to_be_visible()

    def every_screen(self, who: str) -> list[str]:
        """Open every screen of the menu; photograph and check each at both sizes. Returns their ids."""
        page = self.page
        ids: list[str] = page.eval_on_selector_all(
            ".topbar .nav-link[data-screen]", "els => els.map(e => e.dataset.screen)"
        )
        assert ids, f"{who} has no screens"
        for screen in ids:
            if screen == "screen":
                # The big screen is a wall display without the menu (its own test, at 1080p, looks at it).
                continue
            page.set_viewport_size(WIDE)
            open_screen(page, screen)
            expect(page.locator(f".topbar .nav-link[data-screen='{screen}']")).to_have_class(
                re.compile(r"\bis-active\b")
            )
            for size, label in ((WIDE, "1366"), (PHONE, "390")):
                page.set_viewport_size(size)
                settle(page)
                check_screen(page, f"{who} {screen} at {label}")
                page.screenshot(path=str(self.screenshots / f"day-{who}-{screen}-{label}.png"))
        page.set_viewport_size(WIDE)
        return ids


def settle(page: Any) -> None:
    """Wait until the screen has loaded what it shows (no 正在加载 / 正在统计 left)."""
    page.wait_for_function(
        "() => !/正在加载|正在统计|正在检索/.test(document.querySelector('main').innerText)", timeout=10000
    )
    page.wait_for_timeout(300)


def check_screen(page: Any, where: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size["width"]
    if width > viewport + 1:
        widest = page.evaluate(
            """() => { let best = null, right = 0;
              for (const el of document.querySelectorAll('body *')) {
                const r = el.getBoundingClientRect();
                if (r.width && r.right > right && !el.closest('.nav')) { right = r.right; best = el; }
              }
              return best ? best.tagName + '.' + best.className + ' → ' + Math.round(right) : ''; }"""
        )
        raise AssertionError(f"{where}: the page is {width}px wide on a {viewport}px screen ({widest})")
    text = page.locator("main").inner_text()
    # The audit log names accounts by their login (and what they searched for), and the test world's
    # administrator's login is admin: there it is a name, not a role left in English.
    if " audit " in f" {where} ":
        text = re.sub(r"\badmin\b", "", text)
    leak = LEAKS.search(text)
    assert leak is None, (
        f"{where}: {leak.group(0)!r} shown to the user in …{text[max(0, leak.start() - 40) : leak.end() + 40]}…"
    )
    for empty in page.locator("main .empty:visible").all():
        said = empty.inner_text().strip()
        assert len(said) >= 4, f"{where}: an empty list says nothing ({said!r})"


def ensure_bank(app: LiveApp) -> tuple[int, str]:
    """The 宁波银行's unit and its liaison `nbcb_lls`, as in the README (the small county has no banks)."""
    with app.services.db.session() as session:
        unit = session.scalar(select(Unit).where(Unit.code == BANK[0]))
        if unit is None:
            unit = Unit(code=BANK[0], name=BANK[1], kind=UnitKind.BANK)
            session.add(unit)
            session.flush()
        if session.scalar(select(User.id).where(User.username == "nbcb_lls")) is None:
            create_user(
                session,
                "nbcb_lls",
                PASSWORD,
                role=Role.PARTNER,
                display_name="宁波银行 反诈联络员",
                unit_id=unit.id,
                now=app.services.clock.now(),
            )
        return unit.id, unit.name


@pytest.fixture
def day(desktop: Any, live_app: LiveApp, screenshots: Path) -> Day:
    if not _exists(live_app, "fzzx"):
        ensure_analyst(live_app)
    return Day(live_app, desktop, screenshots)


def _exists(app: LiveApp, username: str) -> bool:
    with app.services.db.session() as session:
        return session.scalar(select(User.id).where(User.username == username)) is not None


def test_a_day_at_the_anti_fraud_centre_and_at_the_station(day: Day) -> None:
    app, page = day.app, day.page
    register(app, DANDONG, "孙大妈", "13577773001", 1950)
    [lead] = report(app, ("day-lead-1", "13577773001"))

    # 反诈中心: the queue, filtered in the URL; the reload and the back button keep the filters.
    day.log_in("fzzx")
    day.every_screen("analyst")
    page.goto("/static/index.html#/queue?level=high")
    summary = page.locator(".summary")
    expect(summary).to_have_attribute("data-total", re.compile(r"^\d+$"))
    page.reload()
    expect(page.locator(".seg-btn.seg-high")).to_have_attribute("aria-pressed", "true")
    page.goto("/static/index.html#/queue")
    row = page.locator(f".tbl-queue tr[data-id='{lead.warning_id}']")
    row.click()
    expect(page).to_have_url(re.compile(rf"#/queue/{lead.warning_id}$"))
    expect(page.locator(".detail-pane")).to_contain_text("135****3001")
    page.go_back()
    expect(page).to_have_url(re.compile(r"#/queue$"))
    with page.expect_download() as got:
        page.locator(".toolbar [data-export='csv']").click()
    body = Path(got.value.path()).read_text(encoding="utf-8-sig")
    assert str(lead.warning_id) in body
    assert "13577773001" not in body  # masked in the file too
    expect(page.locator(".toast").last).to_contain_text("已导出")
    day.log_out()

    # 所长: assigns the task to an officer.
    day.log_in("dandong_sz")
    day.every_screen("station_head")
    open_screen(page, "dispatch")
    task_row = page.locator(f".dispatch-tasks tr[data-id='{lead.task_id}']")
    with app.services.db.session() as session:
        mj1 = session.scalar(select(User.id).where(User.username == "dandong_mj1"))
    task_row.locator("select[name='assignee_id']").select_option(str(mj1))
    task_row.get_by_role("button", name="指派").click()
    expect(task_row.locator("[data-role='assignee']")).not_to_have_text("未指派")
    day.log_out()

    # 民警: finds it under 我的 (kept in the URL through a reload), signs for it and calls.
    day.log_in("dandong_mj1")
    day.every_screen("officer")
    page.goto("/static/index.html#/tasks?tab=mine")
    page.reload()
    mine = page.locator(".seg-btn", has_text="我的")
    expect(mine).to_have_attribute("aria-pressed", "true")
    card = page.locator(f".task-card[data-id='{lead.task_id}']")
    card.click()
    expect(page).to_have_url(re.compile(rf"#/tasks/{lead.task_id}\?tab=mine$"))
    pane = page.locator(".detail-pane")
    pane.get_by_role("button", name="签收").click()
    expect(pane).to_contain_text("已签收")
    page.keyboard.press("Escape")
    expect(page).to_have_url(re.compile(r"#/tasks\?tab=mine$"))
    with app.services.db.session() as session:
        task = session.get(Task, lead.task_id)
        assert task is not None
        assert (task.assignee_id, task.status) == (mj1, "signed")
    day.log_out()


def test_a_day_at_the_command_centre_the_overdue_figure_opens_its_list(day: Day) -> None:
    app, page = day.app, day.page
    register(app, DANDONG, "钱大伯", "13577773002", 1946)
    [lead] = report(app, ("day-lead-2", "13577773002"))
    past = app.services.clock.now().replace(microsecond=0)
    with app.services.db.session() as session:
        session.execute(update(Task).where(Task.id == lead.task_id).values(due_at=past.replace(year=past.year - 1)))
    day.log_in("qzzx")
    day.every_screen("commander")
    open_screen(page, "figures")
    overdue = page.locator("a.card-link")
    expect(overdue).to_be_visible()
    counted = int(overdue.locator(".card-value").inner_text().replace(",", ""))
    assert counted >= 1
    overdue.click()
    expect(page).to_have_url(re.compile(r"#/tasks\?tab=overdue$"))
    expect(page.locator(".seg-btn", has_text="已超时")).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".toolbar .muted[data-total]")).to_have_attribute("data-total", str(counted))
    expect(page.locator(f".task-card[data-id='{lead.task_id}']")).to_be_visible()
    day.log_out()


def test_a_day_at_the_desk_for_the_governance_centre_and_the_bank(day: Day) -> None:
    app, page = day.app, day.page
    dog = post(app, "13700003001", Category.NUISANCE, "楼下的狗整夜叫，已经三天了。", topic=Topic.DOG)
    day.log_in("dandong_zz")
    day.every_screen("governance")
    open_screen(page, "desk")
    item = page.locator(f".desk-card[data-id='{dog}']")
    item.click()
    detail = page.locator(".desk-case")
    detail.get_by_role("button", name="签收").click()
    expect(detail.locator(".case-sub")).to_contain_text("已签收")
    day.log_out()

    bank_id, bank_name = ensure_bank(app)
    app.call(
        "fzzx",
        "POST",
        "/payments/stops",
        {
            "bank_unit_id": bank_id,
            "account": "6217 0000 1111 2222 333",
            "amount_yuan": "52000",
            "basis": "受害人被冒充客服诈骗，资金转入该账户",
            "client_ref": "day-stop-1",
        },
    )
    day.log_in("nbcb_lls")
    day.every_screen("partner")
    rows = page.locator(".bank-table tbody tr")
    expect(rows.first).to_contain_text(bank_name)
    rows.first.click()
    expect(page.locator(".bank-case")).to_contain_text("6217")
    day.log_out()


def test_a_day_in_the_back_office(day: Day) -> None:
    page = day.page
    day.log_in("admin")
    screens = day.every_screen("admin")
    assert {"queue", "tasks", "desk", "figures", "admin", "audit"} <= set(screens)
    # The audit log's filters live in the URL: a shared link opens the same list.
    page.goto("/static/index.html#/audit?tab=events&kind=login")
    expect(page.locator(".audit-pane")).to_have_attribute("data-tab", "events")
    expect(page.locator("form.audit-filters select[name='kind']")).to_have_value("login")
    rows = page.locator(".audit-table tbody tr")
    expect(rows.first).to_be_visible()
    for kind in rows.evaluate_all("rs => rs.map(r => r.dataset.kind)"):
        assert kind == "login"
    page.reload()
    expect(page.locator("form.audit-filters select[name='kind']")).to_have_value("login")
    page.locator("form.audit-filters select[name='kind']").select_option("")
    page.get_by_role("button", name="查询").click()
    expect(page).to_have_url(re.compile(r"#/audit\?tab=events$"))
    page.go_back()
    expect(page.locator("form.audit-filters select[name='kind']")).to_have_value("login")
    day.log_out()


def test_a_residents_day_on_the_phone(phone: Any, live_app: LiveApp, screenshots: Path) -> None:
    page = phone
    sign_in(page, live_app, "13905749901")
    page.screenshot(path=str(screenshots / "day-resident-home-390.png"))
    page.set_viewport_size(WIDE)
    page.screenshot(path=str(screenshots / "day-resident-home-1366.png"))
    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 391
    leak = LEAKS.search(page.locator("body").inner_text())
    assert leak is None, leak
