"""`pingan demo`: a fresh generated county on SQLite, live feeds, simulated staff and the UI."""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from pingan.bootstrap import Services, bootstrap
from pingan.core.areas import import_areas
from pingan.core.identity import create_user
from pingan.core.models import AreaKind, Role, Unit, UnitKind
from pingan.core.people import import_people
from pingan.core.settings import Settings, ensure_secret_key
from pingan.core.setup import ensure_centre_units
from pingan.demo.banks import BankDemo, SimulatedBanks, setup_bank_demo
from pingan.demo.campaigns import DemoSmsGateway, send_demo_campaign
from pingan.demo.cases import generate_cases
from pingan.demo.county import COUNTY_NAME, generate_communities, generate_county
from pingan.demo.dangers_sim import CommandSimulation as DangerSimulation
from pingan.demo.dangers_sim import create_departments, demo_rules_file
from pingan.demo.dangers_sim import setup_command_demo as setup_dangers_demo
from pingan.demo.desk_sim import DeskSimulation, setup_desk_demo
from pingan.demo.history import backfill, demo_rules, publish_history
from pingan.demo.officers import SimulatedStaff
from pingan.demo.population import EventFeed, generate_indicators, generate_people
from pingan.demo.simulated import SimulatedSide, create_simulated_staff
from pingan.fraud.indicators import import_indicators
from pingan.migrate import upgrade
from pingan.workers.outbox import run_outbox
from pingan.workers.sweeper import run_sweeper

log = logging.getLogger(__name__)

DEMO_PASSWORD = "pingan2026"  # noqa: S105 - the demo's published password, shown in the README

# Town code → pinyin slug for the demo's usernames.
TOWN_SLUGS = {
    "330225001": "dandong",
    "330225002": "danxi",
    "330225003": "juexi",
    "330225101": "shipu",
    "330225102": "xizhou",
    "330225103": "hepu",
    "330225104": "xianxiang",
    "330225105": "qiangtou",
    "330225106": "sizhoutou",
    "330225107": "dingtang",
    "330225108": "tuci",
    "330225109": "daxu",
    "330225110": "xinqiao",
    "330225200": "dongchen",
    "330225201": "xiaotang",
    "330225202": "huangbiao",
    "330225203": "maoyang",
    "330225204": "gaotangdao",
}


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: Role
    name: str
    unit: str


def _progress(console: Console) -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), console=console)


@dataclass(frozen=True)
class DemoCounty:
    logins: list[DemoLogin]
    banks: BankDemo
    people: list[dict[str, Any]]
    indicators: list[dict[str, Any]]


def build_county(services: Services, *, residents: int, seed: int, console: Console) -> DemoCounty:
    """Areas, units, users, residents and indicator lists of the generated county."""
    rng = random.Random(seed)
    stations = generate_county(seed)
    logins: list[DemoLogin] = []
    now = services.clock.now()
    with services.db.session() as session:
        centre = ensure_centre_units(session)
        # The generated county's bureau by its name, as its reports' every page says it.
        bureau = session.get(Unit, centre["bureau"])
        if bureau is not None:
            bureau.name = f"{COUNTY_NAME}公安局"
        import_areas(session, stations, kind=AreaKind.STATION)
        taken: set[str] = set()  # village names do not repeat across towns
        for station in stations:
            communities = generate_communities(station, rng.randint(3, 6), rng, taken=taken)
            import_areas(session, communities, kind=AreaKind.COMMUNITY, parent_code=station.code, with_units=False)
        for username, role, name, code in (
            ("admin", Role.ADMIN, "系统管理员", "bureau"),
            ("fzzx", Role.ANALYST, "反诈中心 陈研判", "anti-fraud-centre"),
            ("qzzx", Role.COMMANDER, "情指中心 林指挥", "command-centre"),
        ):
            create_user(session, username, DEMO_PASSWORD, role=role, display_name=name, unit_id=centre[code], now=now)
            logins.append(DemoLogin(username, role, name, code))
        surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林"
        for station in stations:
            unit = (
                session.query(Unit).filter(Unit.kind == UnitKind.STATION, Unit.code == f"station-{station.code}").one()
            )
            slug = TOWN_SLUGS.get(station.code or "", f"s{station.code}")
            staff = [
                (f"{slug}_sz", Role.STATION_HEAD, "所长"),
                (f"{slug}_mj1", Role.OFFICER, "民警"),
                (f"{slug}_mj2", Role.OFFICER, "社区民警"),
            ]
            for username, role, title in staff:
                name = f"{unit.name} {rng.choice(surnames)}{title}"
                create_user(session, username, DEMO_PASSWORD, role=role, display_name=name, unit_id=unit.id, now=now)
                logins.append(DemoLogin(username, role, name, unit.name))
    services.jurisdictions.invalidate()
    with services.db.session() as session:
        desk = setup_desk_demo(services, session, rng)
        departments = create_departments(session, now, DEMO_PASSWORD)
        create_simulated_staff(session, now, rng)
    logins.extend(DemoLogin(d.username, d.role, d.name, "") for d in desk.logins)
    logins.extend(DemoLogin(username, role, name, "") for username, role, name in departments)
    with services.db.session() as session:
        banks = setup_bank_demo(services, session, DEMO_PASSWORD)
    logins.append(DemoLogin(banks.liaison[0], Role.PARTNER, banks.liaison[1], "bank"))
    services.jurisdictions.invalidate()

    people = generate_people(residents, stations, rng)
    with _progress(console) as bar, services.db.session() as session:
        job = bar.add_task("居民登记", total=len(people))
        report = import_people(
            session,
            ((i + 2, p) for i, p in enumerate(people)),
            services.jurisdictions,
            now,
            progress=lambda n: bar.advance(job, n),
        )
    if report.rejected:
        log.warning("demo people rejected: %s", report.rejected[:5])
    indicators = generate_indicators(3000, rng)
    with services.db.session() as session:
        import_indicators(session, ((i + 2, row) for i, row in enumerate(indicators)), now)
    with services.db.session() as session:
        services.cases.import_many(session, None, list(enumerate(generate_cases(people, rng, now), start=1)))
    setup_dangers_demo(services, seed=seed)
    return DemoCounty(logins, banks, people, indicators)


def cli_hint(database: Path) -> str:
    """The command line that points `pingan` at the demo's database (printed by the demo, shown in the README)."""
    return f"PINGAN_DATABASE_URL=sqlite:///{database.resolve()} .venv/bin/pingan warnings"


def run_feed(services: Services, feed: EventFeed, rate: float, stop: threading.Event) -> None:
    """Stream events in real time through the same intake as the API, in small batches."""
    tick = 0.25
    owed = 0.0
    while not stop.is_set():
        started = time.monotonic()
        owed += rate * tick
        n = int(owed)
        owed -= n
        if n:
            now = services.clock.now()
            try:
                services.intake.ingest([feed.event(at=now) for _ in range(n)])
            except Exception:
                log.exception("demo feed batch failed")
        stop.wait(max(0.0, tick - (time.monotonic() - started)))


def run_demo(
    *,
    database: Path,
    host: str,
    port: int,
    residents: int,
    rate: float,
    simulated: SimulatedSide,
    seed: int,
    duration: float | None,
    console: Console,
    hit_ratio: float = 0.01,
) -> None:
    import uvicorn

    from pingan.api.app import create_app
    from pingan.demo.command_sim import COMMUNITY_OFFICER, SimulatedVerifiers, setup_command_demo
    from pingan.demo.patrol_sim import PatrolSimulation, setup_patrol_demo
    from pingan.demo.tracking_history import tracking_history
    from pingan.demo.tracking_sim import DEMO_OWNER, TrackingFeed, setup_tracking_demo
    from pingan.workers.mqtt import start_in_background

    database.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    # No SMS gateway in the demo: the residents' page shows the sign-in code it would have texted.
    settings = Settings(database_url=f"sqlite:///{database}", desk_otp_show_code=True)
    if settings.rules_file is None:
        # Unless a county file is given, the demo's own: its districts (片区) and this year's hidden-danger
        # targets (年度隐患治理目标), in one file beside the database.
        rules = demo_rules_file(database.parent, datetime.now(UTC).year)
        rules.write_text(demo_rules() + "\n" + rules.read_text(encoding="utf-8"), encoding="utf-8")
        settings = settings.model_copy(update={"rules_file": rules})
    ensure_secret_key(settings)  # the demo's key is generated once into the instance folder and kept
    services = bootstrap(settings, sms=DemoSmsGateway())
    console.print(f"[bold]平安 Pingan 演示[/bold]：新建数据库 {database}")
    upgrade(services.db)
    county = build_county(services, residents=residents, seed=seed, console=console)
    logins = county.logins
    months = backfill(services, seed=seed)
    publish_history(services, months)
    console.print(f"打榜：已生成并发布 {'、'.join(m.label for m in months)} 的派出所榜单（三大片区竞赛），本月实时计算")
    campaign = send_demo_campaign(services)
    if campaign is not None:
        console.print(
            f"宣防推送：{campaign['fraud_type_name']} → {campaign['areas'][0]['name']} {campaign['group_name']}，"
            f"E警通送达 {campaign['push']['delivered']} 人，短信 {campaign['sms']['targeted']} 条（研判分析页可见发送进度）"
        )

    stop = threading.Event()
    feed = EventFeed(
        county.people,
        county.indicators,
        seed=seed,
        hit_ratio=hit_ratio,
    )
    threads = [
        threading.Thread(target=run_feed, args=(services, feed, rate, stop), name="feed", daemon=True),
        threading.Thread(
            target=run_sweeper, args=(services,), kwargs={"interval": 2.0, "stop": stop}, name="sla", daemon=True
        ),
        # In-process, but the work is in the database: whatever a crash interrupts is delivered on the next run.
        threading.Thread(target=run_outbox, args=(services,), kwargs={"stop": stop}, name="outbox", daemon=True),
    ]
    if simulated.staff:
        staff = SimulatedStaff(services, seed=seed)
        threads.append(threading.Thread(target=staff.run, args=(stop,), name="officers", daemon=True))
    if simulated.staff or simulated.residents:
        desk = DeskSimulation(services, seed=seed, staff=simulated.staff, residents=simulated.residents)
        threads.append(threading.Thread(target=desk.run, args=(stop,), name="desk", daemon=True))
        banks = SimulatedBanks(services, county.banks, seed=seed)
        threads.append(threading.Thread(target=banks.run, args=(stop,), name="banks", daemon=True))
    if simulated.staff:
        dangers = DangerSimulation(services, seed=seed)
        threads.append(threading.Thread(target=dangers.run, args=(stop,), name="dangers", daemon=True))

    server = uvicorn.Server(
        uvicorn.Config(create_app(services), host=host, port=port, log_level="warning", proxy_headers=False)
    )
    server_thread = threading.Thread(target=server.run, name="http", daemon=True)
    server_thread.start()
    for thread in threads:
        thread.start()
    mqtt = start_in_background(services)
    url = services.settings.mqtt_url
    if mqtt is not None:
        topics = mqtt[0].topics
        console.print(f"MQTT：已连接 {url}，接收基站侦测（{topics.detections}+）与心跳（{topics.stations}+/status）")
    else:
        console.print(f"MQTT：{url} 无应答，未启动基站接收（演示基站数据直接写入，侦测也可经 HTTP 或文件导入）")
    ground = setup_tracking_demo(services, county.people, seed=seed, password=DEMO_PASSWORD)
    ground_past = tracking_history(services, ground, seed=seed)
    ground_feed = TrackingFeed(services, ground, seed=seed)
    feed_thread = threading.Thread(
        target=ground_feed.run,
        args=(stop, url if mqtt is not None else None),
        name="base-stations",
        daemon=True,
    )
    feed_thread.start()
    threads.append(feed_thread)
    command = setup_command_demo(services, county.people, seed=seed, password=DEMO_PASSWORD)
    if simulated.staff:
        verifiers = SimulatedVerifiers(services, seed=seed)
        verify_thread = threading.Thread(target=verifiers.run, args=(stop,), name="verifiers", daemon=True)
        verify_thread.start()
        threads.append(verify_thread)
    console.print(
        f"指挥：市级平台推送核查清单 {command.rows} 条，各派出所{'模拟民警逐条核查反馈' if simulated.staff else '待核查'}"
        f"（情指中心 qzzx 看进度）；社区戒毒/康复 {command.plans} 人，其中 1 人未按期报到（禁毒大队 jdzd、"
        f"丹东社区民警 {COMMUNITY_OFFICER} 可见）；交警执法记录 {command.traffic} 条（近一年半，可看同比）"
    )
    console.print(
        f"地网：{len(ground.stations)} 个村级基站，覆盖 {len(ground.stations)}/{len(ground.stations) + len(ground.uncovered)} "
        f"个村寨（{'、'.join(ground.uncovered[:3]) or '无'}{'等' if len(ground.uncovered) > 3 else ''}偏远村寨未建站），"
        f"{len(ground.home)} 个标签；{ground_feed.story()}；居民 {DEMO_OWNER} 可在 /m 我的车 查看自己电动车的轨迹"
        "（地网运营账号 diwang）" + (f"；{ground_past.line()}（地网 · 统计 选“本年”或自定义）" if ground_past else "")
    )

    patrol = setup_patrol_demo(services, seed=seed)
    patrol_thread = threading.Thread(
        target=PatrolSimulation(services, patrol, seed=seed, work=simulated.staff).run,
        args=(stop,),
        name="patrol",
        daemon=True,
    )
    patrol_thread.start()
    threads.append(patrol_thread)
    console.print(
        f"巡防：{len(patrol.zones)} 个城区巡防片区，{patrol.units} 个巡组（一周勤务 {patrol.shifts} 条）；"
        "约每 30 秒一起 110 警情，"
        + ("模拟情指中心按“135”就近派警、到场、反馈" if simulated.staff else "等待您在「接警」页派警")
    )

    console.print(
        "隐患整治与矛盾纠纷：住建（zhujian）、消防（xiaofang）、交通（jiaotong）及各镇综治中心（<town>_zz）登录后只见本部门牵头或协办的隐患；"
        + (
            "模拟网格员与模拟民警会签收、反馈、提请验收、现场验收并调解纠纷"
            if simulated.staff
            else "请登录各部门账号自行处置"
        )
    )
    table = Table("用户名", "角色", "姓名/单位", title=f"演示账号（密码均为 {DEMO_PASSWORD}）")
    station_staff = [x for x in logins if x.role in (Role.STATION_HEAD, Role.OFFICER)][:3]
    others = [x for x in logins if x.role not in (Role.STATION_HEAD, Role.OFFICER)]
    for login in others[:3] + station_staff + others[3:9]:
        table.add_row(login.username, login.role.value, login.name)
    console.print(table)
    console.print(
        f"界面：[bold]http://{host}:{port}[/bold]   居民端（手机）：http://{host}:{port}/m   "
        f"API 文档：http://{host}:{port}/api/v1/docs\n"
        f"数据流：{rate:g} 条/秒，命中率 {hit_ratio:.0%}；"
        f"模拟民警：{'开（账号 sim_…，姓名带“模拟”）' if simulated.staff else '关（请登录派出所账号自行处置）'}；"
        f"模拟群众：{'开（手机号 1390575xxxx）' if simulated.residents else '关'}；Ctrl-C 结束\n"
        f"上表账号和居民手机号 1390574xxxx 只供您本人使用，模拟人员不会以它们的名义操作。\n"
        f"命令行连接本演示：{cli_hint(database)}",
        soft_wrap=True,
    )
    started = time.monotonic()
    try:
        while server_thread.is_alive() and (duration is None or time.monotonic() - started < duration):
            time.sleep(0.5)
    except KeyboardInterrupt:
        console.print("正在停止……")
    finally:
        stop.set()
        if mqtt is not None:
            mqtt[1].set()
        server.should_exit = True
        server_thread.join(timeout=10)
        for thread in threads:
            thread.join(timeout=10)
        services.close()
