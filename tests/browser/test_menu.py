"""The staff menu in groups: a group of two or more screens opens a list (by mouse and by keyboard), a group
of one is a plain link, the group of the open screen is marked and names it (after a reload too), and the
lists stay on screen at 1366 and at 390 pixels."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import LiveApp, open_screen
from tests.browser.test_audit_screen import log_in

ACTIVE = re.compile(r"\bis-active\b")


def test_the_admins_menu_groups_screens_and_marks_the_open_ones_group(
    desktop: Any, live_app: LiveApp, screenshots: Path
) -> None:
    page = desktop
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, "admin")
    nav = page.locator(".topbar .nav")
    # The worklist stands alone; 民意 and 地网 hold one screen each, so they are plain links.
    expect(nav.locator(":scope > .nav-link[data-screen='tasks']")).to_be_visible()
    expect(nav.locator(":scope > .nav-link[data-screen='desk']")).to_have_text("群众求助")
    expect(nav.locator(":scope > .nav-link[data-screen='tracking']")).to_be_visible()
    expect(nav.locator(".nav-group-btn")).to_have_count(3)
    expect(nav.locator(".nav-group-btn .nav-group-name")).to_have_text(["反诈", "指挥", "后台"])

    fraud = nav.locator(".nav-group[data-group='反诈']")
    menu = fraud.locator(".nav-menu")
    expect(menu).to_be_hidden()
    fraud.locator(".nav-group-btn").click()
    expect(menu).to_be_visible()
    expect(fraud.locator(".nav-group-btn")).to_have_attribute("aria-expanded", "true")
    expect(menu.locator(".nav-link")).to_have_text(["预警队列", "案件", "研判分析", "止付冻结", "断卡核查"])
    page.screenshot(path=str(screenshots / "menu-open-1366.png"))
    box = menu.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 1366

    # A click elsewhere closes it; choosing a screen marks its group and names the screen.
    page.locator("main").click(position={"x": 600, "y": 500})
    expect(menu).to_be_hidden()
    open_screen(page, "cards")
    expect(menu).to_be_hidden()
    expect(page).to_have_url(re.compile(r"#/cards$"))
    expect(fraud.locator(".nav-group-btn")).to_have_class(ACTIVE)
    expect(fraud.locator(".nav-group-current")).to_have_text("断卡核查")
    expect(nav.locator(".nav-group[data-group='后台'] .nav-group-btn")).not_to_have_class(ACTIVE)

    page.reload()
    expect(nav.locator(".nav-group[data-group='反诈'] .nav-group-btn")).to_have_class(ACTIVE)
    expect(nav.locator(".nav-link[data-screen='cards']")).to_have_attribute("aria-current", "page")

    # Another group's screen moves the mark.
    open_screen(page, "audit")
    expect(nav.locator(".nav-group[data-group='后台'] .nav-group-btn")).to_have_class(ACTIVE)
    expect(nav.locator(".nav-group[data-group='反诈'] .nav-group-btn")).not_to_have_class(ACTIVE)
    expect(nav.locator(".nav-group[data-group='反诈'] .nav-group-current")).to_have_text("")


def test_the_menu_works_from_the_keyboard(desktop: Any, live_app: LiveApp) -> None:
    page = desktop
    log_in(page, "admin")
    button = page.locator(".nav-group[data-group='指挥'] .nav-group-btn")
    menu = page.locator(".nav-group[data-group='指挥'] .nav-menu")
    button.focus()
    page.keyboard.press("ArrowDown")
    expect(menu).to_be_visible()
    expect(menu.locator(".nav-link").first).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(menu.locator(".nav-link").nth(1)).to_be_focused()
    page.keyboard.press("End")
    expect(menu.locator(".nav-link").last).to_be_focused()
    page.keyboard.press("ArrowDown")  # wraps round
    expect(menu.locator(".nav-link").first).to_be_focused()
    page.keyboard.press("End")
    expect(menu.locator(".nav-link").last).to_be_focused()
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(button).to_be_focused()
    expect(button).to_have_attribute("aria-expanded", "false")

    # Enter opens (a button), the arrows pick, Enter follows the link.
    page.keyboard.press("Enter")
    expect(menu).to_be_visible()
    page.keyboard.press("ArrowDown")
    target = menu.locator(".nav-link:focus")
    screen = target.get_attribute("data-screen")
    page.keyboard.press("Enter")
    expect(menu).to_be_hidden()
    expect(page).to_have_url(re.compile(rf"#/{screen}$"))
    expect(button).to_have_class(ACTIVE)

    # Tab out of an open list closes it.
    button.focus()
    page.keyboard.press("ArrowUp")
    expect(menu.locator(".nav-link").last).to_be_focused()
    page.keyboard.press("Tab")
    expect(menu).to_be_hidden()


def test_on_a_phone_the_open_list_fits_the_screen(phone: Any, live_app: LiveApp, screenshots: Path) -> None:
    page = phone
    log_in(page, "admin")
    group = page.locator(".nav-group[data-group='后台']")
    group.locator(".nav-group-btn").scroll_into_view_if_needed()
    group.locator(".nav-group-btn").click()
    menu = group.locator(".nav-menu")
    expect(menu).to_be_visible()
    box = menu.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 390, box
    page.screenshot(path=str(screenshots / "menu-open-390.png"))
    menu.locator(".nav-link[data-screen='audit']").click()
    expect(page).to_have_url(re.compile(r"#/audit$"))
    expect(menu).to_be_hidden()
    # Reloaded on the phone, the bar scrolls the open screen's group into sight.
    page.reload()
    expect(group.locator(".nav-group-btn")).to_have_class(re.compile(r"\bis-active\b"))
    page.wait_for_timeout(200)
    button = group.locator(".nav-group-btn").bounding_box()
    assert button is not None
    assert button["x"] >= 0
    assert button["x"] + button["width"] <= 390 - 60, button  # clear of the bell and the log-out button


def test_a_group_of_one_is_a_plain_link_and_unknown_groups_come_last(desktop: Any, live_app: LiveApp) -> None:
    page = desktop
    log_in(page, "admin")
    items = page.evaluate(
        """async () => {
          const { menuItems } = await import('/static/js/ui/shell.js');
          const s = (id, group, hidden) => ({ id, title: id, group, hidden });
          return menuItems([s('a', '指挥'), s('b', '其他'), s('c', '反诈'), s('d'), s('e', '指挥'), s('f', '后台', true)])
            .map((i) => (i.screen ? i.screen.id : i.group + ':' + i.screens.map((x) => x.id).join(',')));
        }"""
    )
    assert items == ["d", "c", "指挥:a,e", "b"]


def test_a_group_a_role_has_one_screen_of_is_a_plain_link(desktop: Any, live_app: LiveApp) -> None:
    page = desktop
    log_in(page, "zhili")  # governance: the desk (民意), and the dangers and disputes of its centre (指挥)
    expect(page.locator(".topbar .nav-group")).to_have_count(1)
    expect(page.locator(".topbar .nav-group[data-group='指挥'] .nav-link")).to_have_count(2)
    expect(page.locator(".topbar .nav > .nav-link[data-screen='desk']")).to_have_class("nav-link is-active")
