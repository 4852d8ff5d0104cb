"""The anti-fraud loop in the staff UI: a lead arrives, the centre sees the warning live in its queue (level,
reasons, the person masked), the station signs for the dissuasion task and climbs the ladder to a meeting
in person and a dissuasion with money protected, the centre evaluates it and the figures count it; an
officer of another station never sees it.

The small county has no resident registry, no indicator lists and no anti-fraud centre login, so this
module registers its own residents (phones 1358888xxxx, used nowhere else) and the centre's analyst.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from pingan.core.identity import create_user
from pingan.core.models import Area, Person, PersonPhone, Role, Task, TaskEvent, Unit
from pingan.core.people import import_people
from pingan.core.tasks.base import fact
from pingan.fraud.models import FraudWarning, Level, Outcome, WarningStatus
from pingan.fraud.workflow import DissuasionAction, DissuasionStatus
from tests.browser.conftest import LiveApp, open_screen
from tests.desk_county import PASSWORD, TOWNS

DANDONG, DANXI = TOWNS
ANALYST = "fzzx"
REPORTED = "群众/96110 报告正在受骗"
SHANGHAI_OFFSET = timedelta(hours=8)
POLLED = 10_000
"""ms to wait for what a screen only learns by polling (the queue every 3 s, the worklist every 5 s)."""


@dataclass(frozen=True)
class Lead:
    warning_id: int
    task_id: int


def shot(page: Any, screenshots: Path, name: str) -> None:
    page.screenshot(path=str(screenshots / f"fraud-{name}.png"))


def masked(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}"


def ensure_analyst(app: LiveApp) -> None:
    """The anti-fraud centre's analyst (`fzzx`, as in the demo); the small county creates none."""
    with app.services.db.session() as session:
        centre = session.scalar(select(Unit.id).where(Unit.code == "anti-fraud-centre"))
        assert centre is not None
        create_user(
            session,
            ANALYST,
            PASSWORD,
            role=Role.ANALYST,
            display_name="反诈中心 陈研判",
            unit_id=centre,
            now=app.services.clock.now(),
        )


def register(app: LiveApp, town: str, name: str, phone: str, birth_year: int) -> None:
    """A resident in the registry, placed in a community of `town` and located to its station as an import would."""
    station = app.county.stations[town]
    with app.services.db.session() as session:
        if session.scalar(select(PersonPhone.person_id).where(PersonPhone.phone == phone)) is None:
            community = session.scalar(
                select(Area.id).where(Area.parent_id == station, Area.geometry.is_not(None)).order_by(Area.id)
            )
            assert community is not None
            point = app.county.community_shapes[community].representative_point()
            row = {"name": name, "phones": phone, "lon": point.x, "lat": point.y, "birth_year": birth_year}
            report = import_people(session, [(2, row)], app.services.jurisdictions, app.services.clock.now())
            assert (report.created, report.rejected) == (1, [])
        located = session.scalar(
            select(Person.station_id)
            .join(PersonPhone, PersonPhone.person_id == Person.id)
            .where(PersonPhone.phone == phone)
        )
    assert located == station


def report(app: LiveApp, *events: tuple[str, str]) -> list[Lead]:
    """Citizen reports ((source id, phone) each): warnings by nature, no indicator needed. One new warning each."""
    at = app.services.clock.now().isoformat()
    result = app.services.intake.ingest(
        [
            {
                "id": event_id,
                "source": "citizen",
                "kind": "report",
                "at": at,
                "subject_phone": phone,
                "text": "家属来电：老人接到自称公安的电话，要求把存款转到“安全账户”。",
            }
            for event_id, phone in events
        ]
    )
    assert result.rejected == []
    assert len(result.warnings_opened) == len(events), "a replayed event id opens no warning: use fresh ids"
    return [Lead(w, t) for w, t in zip(result.warnings_opened, result.tasks_created, strict=True)]


def log_in(page: Any, username: str, screen: str) -> None:
    page.goto(f"/static/index.html#/{screen}")
    page.locator("input[name='username']").fill(username)
    page.locator("input[name='password']").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    open_screen(page, screen)
    expect(page.locator(f".nav-link[data-screen='{screen}']")).to_have_class(re.compile(r"\bis-active\b"))


def log_out(page: Any) -> None:
    page.get_by_role("button", name="退出登录").click()
    expect(page.locator("input[name='username']")).to_be_visible()


def task_card(page: Any, task_id: int) -> Any:
    return page.locator(f".task-card[data-id='{task_id}']")


def queue_row(page: Any, warning_id: int) -> Any:
    return page.locator(f".tbl-queue tr[data-id='{warning_id}']")


def dialog_button(page: Any, name: str) -> None:
    """Press a button of the open dialog, and wait until the server accepted it and the dialog closed."""
    dialog = page.locator("dialog[open]")
    dialog.get_by_role("button", name=name, exact=True).click()
    expect(page.locator("dialog[open]")).to_have_count(0)


@pytest.fixture
def analyst(live_app: LiveApp) -> str:
    ensure_analyst(live_app)
    return ANALYST


def test_the_centre_sees_a_new_warning_arrive_live_with_its_level_reasons_and_the_person_masked(
    desktop: Any, live_app: LiveApp, analyst: str, screenshots: Path
) -> None:
    page = desktop
    phone = "13588880001"
    register(live_app, DANDONG, "陈秀英", phone, birth_year=1950)
    age = live_app.services.clock.now().year - 1950
    log_in(page, analyst, "queue")
    expect(page.locator(".live-text")).to_contain_text("实时")  # the first load is in: what comes next is new

    (lead,) = report(live_app, ("fraud-loop-live-1", phone))
    row = queue_row(page, lead.warning_id)
    expect(row).to_be_visible(timeout=POLLED)  # no reload: the queue polls
    expect(row).to_have_class(re.compile(r"\bis-fresh\b"))
    expect(row).to_have_class(re.compile(r"\brow-critical\b"))
    expect(row.locator(".c-level")).to_have_text("特高危")  # a report is high; an elderly person raises it
    expect(row.locator(".c-reason")).to_contain_text(REPORTED)
    expect(row.locator(".c-reason")).to_contain_text(f"高龄（{age} 岁），易受骗群体")
    expect(row.locator(".c-person")).to_contain_text("陈**")
    expect(row.locator(".c-person")).to_contain_text(masked(phone))
    expect(row).not_to_contain_text(phone)
    expect(row).not_to_contain_text("陈秀英")
    expect(row.locator(".c-station")).to_have_text("丹东派出所丹东街道")  # the station's unit, the town beneath
    expect(row.locator(".c-task")).to_contain_text("已下发")
    alert = page.locator(".alert-bar")
    expect(alert).to_contain_text("1 条新的特高危预警")
    shot(page, screenshots, "01-queue-live")

    alert.get_by_role("button", name="查看最新").click()
    expect(page).to_have_url(re.compile(rf"#/queue/{lead.warning_id}$"))
    expect(alert).to_be_hidden()
    case = page.locator(".detail-pane .case")
    expect(case.locator("h2")).to_have_text(f"预警 #{lead.warning_id}")
    expect(case.locator(".case-person")).to_contain_text("已脱敏")
    expect(case.locator(".case-person")).to_contain_text(masked(phone))
    expect(case.locator(".case-person")).not_to_contain_text(phone)
    expect(case.locator(".case-reasons .reasons li")).to_have_text([REPORTED, f"高龄（{age} 岁），易受骗群体"])
    expect(case.locator(".case-events tbody tr")).to_have_count(1)
    expect(case.locator(".case-events tbody tr")).to_contain_text("群众")
    expect(case.locator(".case-task .sec-head")).to_contain_text(f"劝阻任务 #{lead.task_id}")
    expect(case.locator(".case-task .sec-head")).to_contain_text("已下发")
    expect(case.locator(".case-task .kv")).to_contain_text("丹东派出所")
    shot(page, screenshots, "02-centre-case")


def test_the_station_dissuades_in_person_and_the_centre_evaluates_and_counts_the_money(
    desktop: Any, live_app: LiveApp, analyst: str, screenshots: Path
) -> None:
    page = desktop
    phone = "13588880002"
    register(live_app, DANDONG, "周建国", phone, birth_year=1988)
    (lead,) = report(live_app, ("fraud-loop-ladder-1", phone))
    log_in(page, "dandong_mj1", "tasks")

    card = task_card(page, lead.task_id)
    expect(card).to_contain_text(f"{masked(phone)} {REPORTED}")
    expect(card).not_to_contain_text(phone)
    expect(card.locator(".level")).to_have_text("高")
    expect(card).to_contain_text("已下发")
    expect(card).to_contain_text("未签收")
    shot(page, screenshots, "03-worklist")

    card.click()
    case = page.locator(".detail-pane .case")
    task = case.locator(".case-task")
    status = task.locator(".sec-head .chip").first
    expect(task.locator(".sec-head")).to_contain_text(f"劝阻任务 #{lead.task_id}")
    expect(status).to_have_text("已下发")
    expect(task.locator(".deadline-step")).to_have_text("签收")

    task.locator(".act-sign").click()
    expect(status).to_have_text("已签收")
    expect(task.locator(".kv")).to_contain_text("丹东派出所 李民警")  # the signer takes the task
    expect(task.locator(".deadline-step")).to_have_text("电话劝阻")
    expect(card).to_contain_text("承办 丹东派出所 李民警")  # the list beside it follows

    task.locator(".act-call").click()
    dialog_button(page, "未接通")
    expect(status).to_have_text("电话劝阻中")
    expect(task.locator(".count", has_text="未接通").locator("b")).to_have_text("1")
    expect(case.locator(".case-history .tl-item").first).to_contain_text("电话未接通（第1次），5分钟内重拨")

    task.locator(".act-call").click()
    dialog_button(page, "接通")
    expect(case.locator(".case-history .tl-item").first).to_contain_text("电话接通，须见面劝阻")
    expect(task.locator(".count", has_text="电话").locator("b")).to_have_text("2")
    expect(task.locator(".count", has_text="未接通").locator("b")).to_have_text("1")  # the missed call stays counted
    expect(status).to_have_text("电话劝阻中")
    expect(task.locator(".deadline-step")).to_have_text("见面劝阻")
    expect(task.locator(".act-feedback")).to_have_count(0)  # high: a call does not close it, a meeting does
    shot(page, screenshots, "04-reached-by-phone")

    task.locator(".act-visit").click()
    page.locator("dialog[open] textarea[name='note']").fill("到家中见到本人，讲解冒充公检法诈骗手法，本人已明白。")
    dialog_button(page, "见到本人")
    expect(status).to_have_text("已见面")
    expect(task.locator(".count", has_text="上门").locator("b")).to_have_text("1")
    expect(task.locator(".act-feedback")).to_have_class(re.compile(r"\bbtn-primary\b"))

    task.locator(".act-feedback").click()
    dialog = page.locator("dialog[open]")
    dialog.locator("input[name='outcome'][value='dissuaded']").check()
    dialog.locator("input[name='amount_yuan']").fill("30000")
    shot(page, screenshots, "05-feedback")
    dialog_button(page, "提交反馈")
    expect(status).to_have_text("已反馈")
    expect(task.locator(".sec-head .oc-dissuaded")).to_have_text("劝阻成功")
    expect(case.locator(".case-reasons .kv")).to_contain_text("挽回损失¥30,000.00")
    expect(case.locator(".case-history .tl-item").first).to_contain_text("劝阻成功")
    expect(task.locator(".act-evaluate")).to_have_count(0)  # evaluation is the centre's
    expect(card).to_contain_text("劝阻成功")
    shot(page, screenshots, "06-dissuaded")

    with live_app.services.db.session() as session:
        warning = session.get(FraudWarning, lead.warning_id)
        assert warning is not None
        assert (warning.status, warning.outcome, warning.amount_protected_fen) == (
            WarningStatus.OPEN,
            Outcome.DISSUADED,
            3_000_000,
        )
        assert warning.level is Level.HIGH

    log_out(page)
    log_in(page, analyst, "queue")
    row = queue_row(page, lead.warning_id)
    expect(row.locator(".c-task")).to_contain_text("已反馈")
    row.click()
    case = page.locator(".detail-pane .case")
    case.locator(".case-task .act-evaluate").click()
    dialog_button(page, "评估办结")
    expect(case.locator(".case-task .sec-head .chip").first).to_have_text("已评估")
    expect(case.locator(".case-sub .ws-closed")).to_have_text("已办结")
    expect(row).to_have_count(0, timeout=POLLED)  # gone from the open queue
    shot(page, screenshots, "07-evaluated")

    with live_app.services.db.session() as session:
        warning = session.get(FraudWarning, lead.warning_id)
        assert warning is not None
        assert (warning.status, warning.outcome, warning.amount_protected_fen) == (
            WarningStatus.CLOSED,
            Outcome.DISSUADED,
            3_000_000,
        )
        assert warning.closed_at is not None
        closed = session.get(Task, lead.task_id)
        assert closed is not None
        assert (closed.status, fact(closed, "calls"), fact(closed, "unanswered"), fact(closed, "visits")) == (
            DissuasionStatus.EVALUATED,
            2,
            0,
            1,
        )
        history = session.execute(
            select(TaskEvent.action, TaskEvent.to_status, TaskEvent.data)
            .where(TaskEvent.task_id == lead.task_id)
            .order_by(TaskEvent.id)
        ).all()
        assert [(action, to) for action, to, _ in history] == [
            (DissuasionAction.ISSUE, DissuasionStatus.ISSUED),
            (DissuasionAction.SIGN, DissuasionStatus.SIGNED),
            (DissuasionAction.CALL, DissuasionStatus.CALLING),
            (DissuasionAction.CALL, DissuasionStatus.CALLING),
            (DissuasionAction.VISIT, DissuasionStatus.MET),
            (DissuasionAction.FEEDBACK, DissuasionStatus.FEEDBACK),
            (DissuasionAction.EVALUATE, DissuasionStatus.EVALUATED),
        ]
        assert history[2].data["answered"] is False
        assert history[3].data["answered"] is True
        assert history[4].data["found"] is True
        assert history[5].data["outcome"] == "dissuaded"
        assert history[5].data["amount_yuan"] == "30000"
        # What the figures for this month must show for the station, whatever other tests added.
        now = live_app.services.clock.now()
        local = now + SHANGHAI_OFFSET
        month = datetime(local.year, local.month, 1, tzinfo=UTC) - SHANGHAI_OFFSET
        protected_fen = session.scalar(
            select(func.coalesce(func.sum(FraudWarning.amount_protected_fen), 0)).where(
                FraudWarning.area_id == live_app.county.stations[DANDONG], FraudWarning.created_at >= month
            )
        )
    assert protected_fen is not None
    assert protected_fen >= 3_000_000

    open_screen(page, "figures")
    station = page.locator(".tbl-figures tbody tr", has_text="丹东派出所")
    expect(station.locator("td").nth(4)).to_have_text(f"¥{protected_fen / 100:,.2f}")
    expect(page.locator(".card", has_text="挽回损失")).to_be_visible()
    shot(page, screenshots, "08-figures")


def test_an_officer_of_another_station_does_not_see_the_task(desktop: Any, live_app: LiveApp) -> None:
    page = desktop
    register(live_app, DANDONG, "吴海波", "13588880003", birth_year=1979)
    register(live_app, DANXI, "郑美玲", "13588880004", birth_year=1983)
    ours, theirs = report(live_app, ("fraud-loop-scope-1", "13588880003"), ("fraud-loop-scope-2", "13588880004"))

    log_in(page, "danxi_mj1", "tasks")
    expect(task_card(page, theirs.task_id)).to_be_visible()  # the list has loaded: an absence below means something
    expect(task_card(page, ours.task_id)).to_have_count(0)
    page.goto(f"/static/index.html#/tasks/{ours.task_id}")  # nor by its address
    case = page.locator(".detail-pane .case")
    expect(case.locator(".case-error")).to_contain_text("任务不存在或不在本单位辖区")
    expect(case.locator(".case-task button")).to_have_count(0)
    expect(case).not_to_contain_text("13588880003")
    expect(case).not_to_contain_text("135****0003")

    log_out(page)
    log_in(page, "dandong_mj1", "tasks")
    expect(task_card(page, ours.task_id)).to_be_visible()
    expect(task_card(page, theirs.task_id)).to_have_count(0)


def test_the_worklists_all_tab_shows_the_closed_tasks_too_and_a_level_filter_gives_true_totals(
    desktop: Any, live_app: LiveApp, analyst: str, screenshots: Path
) -> None:
    page = desktop
    register(live_app, DANDONG, "郑丽华", "13588880901", birth_year=1984)
    register(live_app, DANDONG, "潘志强", "13588880902", birth_year=1979)
    done, still = report(live_app, ("fraud-loop-all-1", "13588880901"), ("fraud-loop-all-2", "13588880902"))
    live_app.call(
        analyst,
        "POST",
        f"/tasks/{done.task_id}/actions",
        {"action": "close", "reason": "经核实为家属误报", "outcome": "not_at_risk"},
    )
    log_in(page, "dandong_mj1", "tasks")
    expect(task_card(page, still.task_id)).to_be_visible()
    expect(task_card(page, done.task_id)).to_have_count(0)

    page.get_by_role("button", name="全部（含已办结）").click()
    expect(task_card(page, done.task_id)).to_be_visible()
    expect(task_card(page, done.task_id)).to_have_class(re.compile(r"\bis-closed\b"))
    expect(task_card(page, still.task_id)).to_be_visible()
    with live_app.services.db.session() as session:
        level = session.scalar(select(Task.level).where(Task.id == done.task_id))
    assert level is not None
    visible = live_app.call("dandong_mj1", "GET", f"/tasks?kind=dissuasion&open=false&level={level}&limit=1")
    assert visible["total"] >= 1
    names = {"critical": "特高危", "high": "高", "medium": "中", "low": "低"}
    page.get_by_role("group", name="等级").get_by_role("button", name=names[level], exact=True).click()
    expect(page.locator(".toolbar .muted").first).to_contain_text(f"共 {visible['total']} 条")
    shot(page, screenshots, "worklist-all-tab")


def test_signing_a_task_someone_else_signed_meanwhile_says_so_and_refreshes_the_pane(
    desktop: Any, live_app: LiveApp, screenshots: Path
) -> None:
    page = desktop
    register(live_app, DANDONG, "冯国平", "13588880903", birth_year=1982)
    (lead,) = report(live_app, ("fraud-loop-stale-1", "13588880903"))
    log_in(page, "dandong_mj1", "tasks")
    task_card(page, lead.task_id).click()
    pane = page.locator(".case-task")
    expect(pane.locator(".act-sign")).to_be_visible()

    live_app.call("dandong_mj2", "POST", f"/tasks/{lead.task_id}/actions", {"action": "sign"})
    pane.locator(".act-sign").click()
    notice = pane.locator(".inline-error")
    expect(notice).to_contain_text("已被他人处理")
    expect(pane.locator(".act-sign")).to_have_count(0)  # only the actions still allowed are offered
    expect(pane).to_contain_text("王社区民警")  # and who holds it now
    shot(page, screenshots, "stale-sign")
