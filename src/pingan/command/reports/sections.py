"""A report is a list of sections; a section turns the period's figures into blocks (text, tables, charts).

Each cadence has its own list (`sections_for`): 日研判 yesterday's work and what is overdue, 周通报 the week by
station against the week before with the overdue named, 月点评 the ranking of stations, 季总结 the trends
against the quarter before and the year before. A section is anything with a `title` and a `blocks(ctx)`
(`ReportSection`), so a capability that lands later plugs in its own: the ranking of stations is a
`Ranker` handed to `RankingSection` (by default `figures_ranking`, computed from the figures at hand).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from pingan.command.reports import charts
from pingan.command.reports.figures import Figures, StationFigures
from pingan.command.reports.periods import Cadence, ReportPeriod
from pingan.command.reports.rules import RankingWeights, ReportRules

# -- blocks --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Paragraph:
    text: str


@dataclass(frozen=True, slots=True)
class KeyFigures:
    items: Sequence[tuple[str, str, str]]
    """(label, value, note): 预警 / 128 / 环比 +12.0%."""


@dataclass(frozen=True, slots=True)
class Table:
    headings: Sequence[str]
    rows: Sequence[Sequence[str]]
    total: Sequence[str] | None = None
    note: str | None = None
    numeric_from: int = 1
    """Columns from this index on are figures (right-aligned)."""
    caption: str | None = None
    """A heading above the table (a city's report: the county each station table is of)."""


@dataclass(frozen=True, slots=True)
class Chart:
    svg: str
    caption: str


Block = Paragraph | KeyFigures | Table | Chart


@dataclass(frozen=True, slots=True)
class ReportContext:
    period: ReportPeriod
    now: datetime
    county: str
    figures: Figures
    rules: ReportRules
    previous: Figures | None = None
    """The period before (环比): weekly, monthly and quarterly reports."""
    year_before: Figures | None = None
    """The same period a year before (同比): quarterly reports."""
    whole: str = "全县"
    """The word for the whole report's totals: 全县, or 全市 / 全省 in a city's or a province's."""


class ReportSection(Protocol):
    @property
    def title(self) -> str: ...

    def blocks(self, ctx: ReportContext) -> list[Block]: ...


# -- formatting ----------------------------------------------------------------------------------------


def yuan(fen: int) -> str:
    return f"{fen / 100:,.2f}"


def pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def change(current: float, before: float | None) -> str:
    """环比 / 同比 as a reader expects it: +12.5%, -3.0%, 持平, 新增 (from zero), — (nothing to compare)."""
    if before is None:
        return "—"
    if before == 0:
        return "持平" if current == 0 else "新增"
    delta = (current - before) / before
    return "持平" if abs(delta) < 0.0005 else f"{delta * 100:+.1f}%"


def _station_label(name: str) -> str:
    return name.removesuffix("派出所") or name


# -- sections ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Overview:
    """概况: the county's headline figures, compared with the period before (and the year before) when known."""

    title: str = "总体情况"

    def blocks(self, ctx: ReportContext) -> list[Block]:
        f, prev, yoy = ctx.figures.county, ctx.previous, ctx.year_before
        p = prev.county if prev else None
        y = yoy.county if yoy else None

        def note(cur: float, attr: Callable[[StationFigures], float]) -> str:
            parts = []
            if p is not None:
                parts.append(f"环比 {change(cur, attr(p))}")
            if y is not None:
                parts.append(f"同比 {change(cur, attr(y))}")
            return "，".join(parts)

        items = [
            ("预警", str(f.warnings), note(f.warnings, lambda s: s.warnings)),
            ("劝阻成功", str(f.dissuaded), note(f.dissuaded, lambda s: s.dissuaded)),
            ("挽回损失（元）", yuan(f.protected_fen), note(f.protected_fen, lambda s: s.protected_fen)),
            ("群众诉求", str(f.desk_requests), note(f.desk_requests, lambda s: s.desk_requests)),
            ("接警", str(f.alarms), note(f.alarms, lambda s: s.alarms)),
            ("当前超时任务", str(f.overdue_open), f"期内超时 {f.late} 件"),
        ]
        pay = ctx.figures.payments
        text = (
            f"{ctx.period.title}，{ctx.county}共产生涉诈预警 {f.warnings} 条，劝阻成功 {f.dissuaded} 起"
            f"（劝阻率 {pct(f.dissuasion_rate)}），已被骗 {f.defrauded} 起，为群众挽回损失 {yuan(f.protected_fen)} 元；"
            f"紧急止付账户 {pay.get('accounts_stopped', 0)} 个、冻结账户 {pay.get('accounts_frozen', 0)} 个，"
            f"返还资金 {pay.get('amount_returned_yuan', '0.00')} 元。群众诉求 {f.desk_requests} 件，"
            f"答复及时率 {pct(f.desk_timeliness)}，满意率 {pct(f.desk_satisfaction)}。期内下发任务 {f.tasks_created} 件，"
            f"办结 {f.tasks_closed} 件（按时 {f.closed_on_time} 件，按时办结率 {pct(f.on_time_rate)}），"
            f"截至统计时仍有 {f.overdue_open} 件超时未办。"
        )
        if not ctx.period.complete(ctx.now):
            text += f"本期尚未结束，数据截至 {_local(ctx.figures.as_of, ctx)}。"
        return [KeyFigures(items), Paragraph(text)]


def _local(at: datetime, ctx: ReportContext) -> str:
    return at.astimezone(ctx.period.zone).strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class StationTable:
    """Every 派出所 in one table (a station with nothing in the period shows its zeros), with the county's total.
    A city's or a province's report has a table of its counties first, then one of each county's stations."""

    title: str = "各派出所情况"
    compare: bool = False
    """With the period before: 环比 of warnings, dissuasions and requests."""

    def blocks(self, ctx: ReportContext) -> list[Block]:
        prev = ctx.previous if self.compare else None
        headings = [
            "派出所",
            "预警",
            "劝阻成功",
            "挽回损失（元）",
            "群众诉求",
            "答复及时率",
            "接警",
            "办结",
            "按时办结率",
        ]
        headings += ["期内超时", "当前超时"]
        if prev is not None:
            headings[2:2] = ["预警环比"]
            headings[4:4] = ["劝阻环比"]

        def cells(name: str, s: StationFigures, before: StationFigures | None) -> list[str]:
            row = [name, str(s.warnings), str(s.dissuaded), yuan(s.protected_fen), str(s.desk_requests)]
            row += [pct(s.desk_timeliness), str(s.alarms), str(s.tasks_closed), pct(s.on_time_rate)]
            row += [str(s.late), str(s.overdue_open)]
            if prev is not None:
                row[2:2] = [change(s.warnings, before.warnings if before else 0)]
                row[4:4] = [change(s.dissuaded, before.dissuaded if before else 0)]
            return row

        explained = "期内超时：本期下发的任务中错过时限的件数；当前超时：统计时仍超时未办的件数。"
        total = cells(f"{ctx.whole}合计", ctx.figures.county, prev.county if prev else None)
        if not ctx.figures.counties:
            rows = [
                cells(station.name, s, prev.of(station.unit_id) if prev else None)
                for station, s in ctx.figures.stations
            ]
            note = f"{ctx.whole}合计含未落地到派出所的预警、诉求和任务；{explained}"
            return [Table(headings, rows, total, note)]
        by_county = []
        for c in ctx.figures.counties:
            earlier = prev.county_of(c.code) if prev else None
            by_county.append(cells(c.name, c.figures.county, earlier.county if earlier else None))
        out: list[Block] = [
            Table(
                ["县（市、区）", *headings[1:]],
                by_county,
                total,
                f"各县（市、区）的数字按本县的辖区和单位统计，含未落地到派出所的部分；{explained}",
                caption="各县（市、区）",
            )
        ]
        for c in ctx.figures.counties:
            before = prev.county_of(c.code) if prev else None
            rows = [
                cells(station.name, s, before.of(station.unit_id) if before else None)
                for station, s in c.figures.stations
            ]
            out.append(
                Table(
                    headings,
                    rows,
                    cells(f"{c.name}合计", c.figures.county, before.county if before else None),
                    caption=f"{c.name}各派出所",
                )
            )
        return out


@dataclass(frozen=True)
class StationChart:
    title: str = "各派出所预警与劝阻"

    def blocks(self, ctx: ReportContext) -> list[Block]:
        listed = ctx.figures.stations
        labels = [_station_label(s.name) for s, _ in listed]
        svg = charts.bars(
            labels,
            [("预警", [f.warnings for _, f in listed]), ("劝阻成功", [f.dissuaded for _, f in listed])],
            title="各派出所预警与劝阻成功",
            unit="条/起",
        )
        return [Chart(svg, f"图：{ctx.period.title}各派出所预警与劝阻成功")]


@dataclass(frozen=True)
class OverdueByStation:
    title: str = "超时任务分布"

    def blocks(self, ctx: ReportContext) -> list[Block]:
        listed = ctx.figures.stations
        labels = [_station_label(s.name) for s, _ in listed]
        svg = charts.bars(
            labels,
            [("期内超时", [f.late for _, f in listed]), ("当前超时", [f.overdue_open for _, f in listed])],
            title="各派出所超时任务",
            unit="件",
        )
        worst = sorted(((f.overdue_open, s.name) for s, f in listed if f.overdue_open), reverse=True)[:3]
        text = (
            "当前超时任务较多的单位：" + "、".join(f"{name}（{n} 件）" for n, name in worst) + "，请抓紧办理。"
            if worst
            else "各派出所当前无超时未办任务。"
        )
        return [Chart(svg, "图：各派出所超时任务（件）"), Paragraph(text)]


@dataclass(frozen=True)
class HotTypes:
    title: str = "热点诈骗类型"

    def blocks(self, ctx: ReportContext) -> list[Block]:
        hot = ctx.figures.hot_types
        if not hot:
            return [Paragraph("本期预警未识别出诈骗类型。")]
        total = sum(n for _, _, n in hot) or 1
        rows = [[str(i), name, str(n), pct(n / total)] for i, (_, name, n) in enumerate(hot, start=1)]
        svg = charts.bars(
            [name for _, name, _ in hot],
            [("预警", [n for _, _, n in hot])],
            title="热点诈骗类型",
            unit="条",
            horizontal=True,
        )
        lead = f"本期预警最多的诈骗类型是{hot[0][1]}（{hot[0][2]} 条），请针对性开展宣传预警。"
        return [
            Paragraph(lead),
            Table(["序号", "诈骗类型", "预警", "占比"], rows, numeric_from=2),
            Chart(svg, "图：热点诈骗类型"),
        ]


@dataclass(frozen=True)
class Trend:
    title: str = "走势"

    def blocks(self, ctx: ReportContext) -> list[Block]:
        points = ctx.figures.series
        if len(points) < 2:
            return []
        weekly = len(ctx.period.days) > 40
        labels = [(p.start.astimezone(ctx.period.zone).strftime("%m-%d")) + ("周" if weekly else "") for p in points]
        svg = charts.lines(
            labels,
            [
                ("预警", [p.warnings for p in points]),
                ("劝阻成功", [p.dissuaded for p in points]),
                ("群众诉求", [p.desk_requests for p in points]),
            ],
            title="按周走势" if weekly else "按日走势",
            unit="条/起/件",
        )
        return [Chart(svg, f"图：{ctx.period.title}{'按周' if weekly else '按日'}走势")]


@dataclass(frozen=True)
class NamedOverdue:
    """通报点名: the tasks open past their deadline, longest overdue first, with who holds them."""

    title: str = "超时未办通报"

    def blocks(self, ctx: ReportContext) -> list[Block]:
        named, total = ctx.figures.overdue_named, ctx.figures.overdue_total
        if total == 0:
            return [Paragraph(f"截至统计时，{ctx.whole}无超时未办任务。")]
        late = sorted(((f.late, s.name) for s, f in ctx.figures.stations if f.late), key=lambda x: (-x[0], x[1]))
        lines = [
            f"截至 {_local(ctx.now, ctx)}，{ctx.whole}共有 {total} 件任务超时未办，以下点名通报（按超时时长排列）。"
        ]
        if late:
            lines.append("本期错过时限的任务：" + "、".join(f"{name} {n} 件" for n, name in late) + "。")
        rows = [
            [
                str(t.id),
                t.station,
                t.kind,
                t.title,
                t.assignee or "未指派",
                t.due_at.astimezone(ctx.period.zone).strftime("%m-%d %H:%M"),
                f"{t.overdue_hours:.1f}",
                t.escalation or "—",
            ]
            for t in named
        ]
        note = f"另有 {total - len(named)} 件未列出。" if total > len(named) else None
        table = Table(
            ["编号", "单位", "类型", "任务", "承办人", "时限", "超时（小时）", "升级"], rows, note=note, numeric_from=6
        )
        return [*(Paragraph(x) for x in lines), table]


@dataclass(frozen=True)
class Money:
    title: str = "止付冻结与挽损"

    def blocks(self, ctx: ReportContext) -> list[Block]:
        pay, f = ctx.figures.payments, ctx.figures.county
        items = [
            ("挽回损失（元）", yuan(f.protected_fen), "劝阻成功"),
            ("紧急止付", f"{pay.get('accounts_stopped', 0)} 个账户", f"{pay.get('amount_stopped_yuan', '0.00')} 元"),
            ("冻结", f"{pay.get('accounts_frozen', 0)} 个账户", f"{pay.get('amount_frozen_yuan', '0.00')} 元"),
            ("返还", f"{pay.get('returns', 0)} 笔", f"{pay.get('amount_returned_yuan', '0.00')} 元"),
        ]
        return [KeyFigures(items)]


@dataclass(frozen=True)
class DeskAndTracking:
    title: str = "警民联系与民生地网"

    def blocks(self, ctx: ReportContext) -> list[Block]:
        d, t = ctx.figures.desk, ctx.figures.tracking
        items = [
            ("注册群众", str(d.get("registered_residents", 0)), f"本期新增 {d.get('new_residents', 0)}"),
            ("推送", str(d.get("pushes", 0)), f"送达 {d.get('push_messages_delivered', 0)} 条"),
            ("平安卡安装", str(t.get("cards_installed", 0)), ""),
            (
                "被盗 / 找回",
                f"{t.get('thefts', 0)} / {t.get('recovered', 0)}",
                f"找回率 {pct(_rate(t.get('recovery_rate')))}",
            ),
        ]
        return [KeyFigures(items)]


def _rate(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


@dataclass(frozen=True)
class Comparison:
    """季总结: the county's figures against the quarter before (环比) and the same quarter a year before (同比)."""

    title: str = "同比环比"

    def blocks(self, ctx: ReportContext) -> list[Block]:
        cur = ctx.figures.county
        prev = ctx.previous.county if ctx.previous else None
        yoy = ctx.year_before.county if ctx.year_before else None
        measures: list[tuple[str, Callable[[StationFigures], float], Callable[[StationFigures], str]]] = [
            ("预警", lambda s: s.warnings, lambda s: str(s.warnings)),
            ("劝阻成功", lambda s: s.dissuaded, lambda s: str(s.dissuaded)),
            ("已被骗", lambda s: s.defrauded, lambda s: str(s.defrauded)),
            ("挽回损失（元）", lambda s: s.protected_fen, lambda s: yuan(s.protected_fen)),
            ("群众诉求", lambda s: s.desk_requests, lambda s: str(s.desk_requests)),
            ("接警", lambda s: s.alarms, lambda s: str(s.alarms)),
            ("办结任务", lambda s: s.tasks_closed, lambda s: str(s.tasks_closed)),
            ("期内超时", lambda s: s.late, lambda s: str(s.late)),
        ]
        rows = []
        for name, value, shown in measures:
            rows.append(
                [
                    name,
                    shown(cur),
                    shown(prev) if prev else "—",
                    change(value(cur), value(prev)) if prev else "—",
                    shown(yoy) if yoy else "—",
                    change(value(cur), value(yoy)) if yoy else "—",
                ]
            )
        headings = ["指标", "本期", "上期", "环比", "去年同期", "同比"]
        return [Table(headings, rows)]


# -- ranking -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RankingRow:
    rank: int
    station: str
    score: float | None
    values: Sequence[str]


@dataclass(frozen=True, slots=True)
class RankingTable:
    indicators: Sequence[str]
    rows: Sequence[RankingRow]
    method: str
    """How the score is made, printed under the table."""


Ranker = Callable[[ReportContext], RankingTable]
"""The ranking of stations for a period. `figures_ranking` until the command centre's ranking (打榜) is plugged
in through `RankingSection(ranker=…)`."""


def figures_ranking(ctx: ReportContext) -> RankingTable:
    """A ranking from the figures at hand: each indicator scaled 0–100 among the stations (best 100), weighted
    by `[reports.ranking_weights]`. A station with nothing to measure on an indicator gets the middle, 50."""
    weights: RankingWeights = ctx.rules.ranking_weights
    listed = ctx.figures.stations
    indicators: list[tuple[str, float, Callable[[StationFigures], float | None], bool]] = [
        ("劝阻率", weights.dissuasion_rate, lambda s: s.dissuasion_rate, True),
        ("按时办结率", weights.on_time_rate, lambda s: s.on_time_rate, True),
        ("答复及时率", weights.desk_timeliness, lambda s: s.desk_timeliness, True),
        ("当前超时", weights.overdue, lambda s: float(s.overdue_open), False),
    ]
    scores = {s.unit_id: 0.0 for s, _ in listed}
    weight_sum = sum(w for _, w, _, _ in indicators) or 1.0
    for _, weight, read, higher_better in indicators:
        values = {s.unit_id: read(f) for s, f in listed}
        known = [v for v in values.values() if v is not None]
        low, high = (min(known), max(known)) if known else (0.0, 0.0)
        for unit_id, v in values.items():
            if v is None or high == low:
                scaled = 50.0 if v is None else 100.0
            else:
                scaled = (v - low) / (high - low) * 100
                scaled = scaled if higher_better else 100 - scaled
            scores[unit_id] += scaled * weight / weight_sum
    ordered = sorted(listed, key=lambda sf: (-scores[sf[0].unit_id], sf[0].name))
    rows = []
    for i, (station, f) in enumerate(ordered, start=1):
        shown = [pct(f.dissuasion_rate), pct(f.on_time_rate), pct(f.desk_timeliness), str(f.overdue_open)]
        rows.append(RankingRow(i, station.name, round(scores[station.unit_id], 1), shown))
    method = (
        f"得分：劝阻率、按时办结率、答复及时率、当前超时件数（越少越好）在各派出所间换算为 0—100 分，"
        f"按 {weights.dissuasion_rate:g}:{weights.on_time_rate:g}:{weights.desk_timeliness:g}:{weights.overdue:g} 加权；"
        "无数据的指标记 50 分。"
    )
    return RankingTable([name for name, _, _, _ in indicators], rows, method)


@dataclass(frozen=True)
class RankingSection:
    """月点评、季总结: the stations ranked, the first three commended and the last three named."""

    ranker: Ranker = figures_ranking
    title: str = "派出所排名"

    def blocks(self, ctx: ReportContext) -> list[Block]:
        ranking = self.ranker(ctx)
        rows = [[str(r.rank), r.station, "—" if r.score is None else f"{r.score:.1f}", *r.values] for r in ranking.rows]
        table = Table(["名次", "派出所", "得分", *ranking.indicators], rows, note=ranking.method, numeric_from=2)
        blocks: list[Block] = []
        if len(ranking.rows) >= 2:
            top = "、".join(r.station for r in ranking.rows[:3])
            bottom = "、".join(r.station for r in ranking.rows[-3:][::-1])
            blocks.append(
                Paragraph(f"点评：本期排名前列的是{top}，予以通报表扬；排名靠后的是{bottom}，请查找差距、限期提升。")
            )
        scored = [r for r in ranking.rows if r.score is not None]
        if scored:
            svg = charts.bars(
                [_station_label(r.station) for r in scored],
                [("得分", [r.score or 0.0 for r in scored])],
                title="派出所得分",
                unit="分",
                horizontal=True,
            )
            return [table, *blocks, Chart(svg, "图：派出所得分排名")]
        return [table, *blocks]


def sections_for(cadence: Cadence, *, ranker: Ranker = figures_ranking) -> list[ReportSection]:
    """The sections of each cadence, in the order the report prints them."""
    if cadence is Cadence.DAILY:
        return [Overview(), StationTable(), HotTypes(), OverdueByStation(), Money()]
    if cadence is Cadence.WEEKLY:
        return [Overview(), StationTable(compare=True), Trend(), StationChart(), NamedOverdue(), HotTypes()]
    if cadence is Cadence.MONTHLY:
        return [
            Overview(),
            RankingSection(ranker),
            StationTable(compare=True),
            StationChart(),
            Trend(),
            HotTypes(),
            Money(),
            NamedOverdue(),
        ]
    return [
        Overview(),
        Comparison(),
        Trend(),
        RankingSection(ranker),
        StationTable(compare=True),
        HotTypes(),
        Money(),
        DeskAndTracking(),
    ]
