"""Reports on the cadence 日研判、周通报、月点评、季总结: built from the period's figures, written as HTML or PDF,
on demand or by the worker each morning into the instance folder's archive.

The PDF is WeasyPrint's, from the same HTML; its font (Noto Sans SC) ships with Pingan and is embedded, and
every page's margin carries the bureau, the report and its period. The HTML embeds the same font (subset, as
data URIs), so a saved copy opens offline and looks like the PDF. The schedule goes through the outbox: the
sweeper announces the report of a period just ended once (the outbox's key is the report's name), and the
outbox worker writes it, so a crash loses nothing and a restart writes nothing twice.
"""

from __future__ import annotations

import base64
import io
import logging
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.command.reports.charts import font_dir
from pingan.command.reports.figures import Figures, gather, names
from pingan.command.reports.periods import (
    CADENCE_NAMES,
    Cadence,
    ReportPeriod,
    last_complete,
    parse_period,
)
from pingan.command.reports.rules import ReportRules
from pingan.command.reports.sections import (
    Block,
    Chart,
    KeyFigures,
    Paragraph,
    Ranker,
    ReportContext,
    Table,
    figures_ranking,
    sections_for,
)
from pingan.core.clock import Clock
from pingan.core.db import Database
from pingan.core.errors import BadInput, NotFound
from pingan.core.outbox import Message, Outbox, OutboxMessage
from pingan.core.tasks import TaskService
from pingan.desk.queries import DeskRules

log = logging.getLogger(__name__)

PUBLISH = "command.report"
"""The outbox kind of a scheduled report; its payload is `{cadence, period}`."""
ARCHIVE_NAME = re.compile(r"(daily|weekly|monthly|quarterly)-(\d{4}-(?:\d{2}-\d{2}|W\d{2}|\d{2}|Q[1-4]))\.(pdf|html)\Z")


class ReportFormat(StrEnum):
    PDF = "pdf"
    HTML = "html"


MEDIA_TYPES = {ReportFormat.PDF: "application/pdf", ReportFormat.HTML: "text/html; charset=utf-8"}


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    blocks: Sequence[Block]


@dataclass(frozen=True, slots=True)
class Report:
    cadence: Cadence
    period: ReportPeriod
    bureau: str
    county: str
    made_at: datetime
    sections: Sequence[Section]
    figures: Figures

    @property
    def name(self) -> str:
        return CADENCE_NAMES[self.cadence]

    @property
    def heading(self) -> str:
        return f"{self.period.title}{self.name}"

    @property
    def file_stem(self) -> str:
        return f"{self.cadence.value}-{self.period.key}"

    @property
    def stations(self) -> list[str]:
        return [s.name for s, _ in self.figures.stations]


@dataclass(frozen=True, slots=True)
class ArchivedReport:
    name: str
    cadence: Cadence
    period: str
    format: ReportFormat
    size: int
    written_at: datetime


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("pingan.command.reports", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["cn_number"] = _cn_number
    return env


def _cn_number(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    return digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")


def _css_string(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def _kind(block: Block) -> str:
    if isinstance(block, Paragraph):
        return "paragraph"
    if isinstance(block, KeyFigures):
        return "figures"
    if isinstance(block, Table):
        return "table"
    assert isinstance(block, Chart)
    return "chart"


def render_html(report: Report, *, for_pdf: bool = False) -> str:
    """The report as one HTML document (charts inline as SVG). For the PDF the font is read from the package
    (WeasyPrint subsets it); in the HTML it is embedded as data URIs, subset to the characters the report
    uses, so a saved copy opens offline and reads like the PDF."""
    fonts = font_dir()
    if for_pdf:
        return _html(report, (fonts / REGULAR).as_uri(), (fonts / BOLD).as_uri())
    draft = _html(report, "", "")
    used = "".join(sorted(set(draft))) + _ALWAYS
    return _html(report, embedded_font(REGULAR, used), embedded_font(BOLD, used))


REGULAR, BOLD = "NotoSansSC-Regular.ttf", "NotoSansSC-Bold.ttf"
_ALWAYS = "0123456789第页共 /·—-%.,:()（）：，。"
"""Characters the running heads and page numbers may draw besides the document's own text."""


@lru_cache(maxsize=32)
def embedded_font(name: str, characters: str) -> str:
    """The vendored font `name`, cut down to `characters`, as a `data:font/woff` URI (a few hundred KB for a
    report, instead of the whole 2.3 MB face)."""
    from fontTools import subset  # only when an HTML report is made

    options = subset.Options()
    options.flavor = "woff"
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    font = subset.load_font(str(font_dir() / name), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=characters)
    subsetter.subset(font)
    out = io.BytesIO()
    subset.save_font(font, out, options)
    return "data:font/woff;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def _html(report: Report, regular: str, bold: str) -> str:
    css = (
        resources.files("pingan.command.reports")
        .joinpath("templates/report.css")
        .read_text(encoding="utf-8")
        .replace("{{regular}}", regular)
        .replace("{{bold}}", bold)
        .replace("{{running}}", _css_string(f"{report.bureau} · {report.name}"))
        .replace("{{period}}", _css_string(report.period.title))
    )
    zone = report.period.zone
    view: dict[str, Any] = {
        "bureau": report.bureau,
        "name": report.name,
        "heading": report.heading,
        "period_title": report.period.title,
        "range": f"{report.period.first.isoformat()} 至 {report.period.last.isoformat()}",
        "made_at": report.made_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        "sections": [
            {"title": s.title, "blocks": [{"kind": _kind(b), "item": b} for b in s.blocks]} for s in report.sections
        ],
    }
    return _environment().get_template("report.html.j2").render(report=view, css=css)


def render_pdf(report: Report) -> bytes:
    """The report as a PDF, its font embedded (subset by WeasyPrint to the characters used)."""
    import weasyprint  # loads pango through cffi: only when a PDF is asked for

    document = weasyprint.HTML(string=render_html(report, for_pdf=True), base_url=str(font_dir()))
    pdf: bytes = document.write_pdf()  # the document's title is the HTML's <title>
    return pdf


def render(report: Report, fmt: ReportFormat) -> bytes:
    return render_pdf(report) if fmt is ReportFormat.PDF else render_html(report).encode("utf-8")


class ReportService:
    """Builds reports, announces the scheduled ones, writes them into the archive and lists the archive."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        tasks: TaskService,
        rules: ReportRules,
        desk_rules: DeskRules,
        outbox: Outbox,
        archive_dir: Path,
        *,
        ranker: Ranker = figures_ranking,
    ) -> None:
        self.db = db
        self.clock = clock
        self.tasks = tasks
        self.rules = rules
        self.desk_rules = desk_rules
        self.outbox = outbox
        self.archive_dir = archive_dir
        self.ranker = ranker
        outbox.register_external(PUBLISH, self.publish)

    # -- building ----------------------------------------------------------------------------------------

    def period(self, cadence: Cadence, text: str | None) -> ReportPeriod:
        """The period named, or the last complete one; a period that has not begun is refused."""
        now = self.clock.now()
        if text is None or not text.strip():
            return last_complete(cadence, now)
        period = parse_period(cadence, text)
        if period.start > now:
            raise BadInput(f"{period.title}尚未开始，无法生成报告", field="period")
        return period

    def build(self, session: Session, cadence: Cadence, period: ReportPeriod) -> Report:
        now = self.clock.now()
        figures = self._gather(session, period, now, details=True)
        previous = year_before = None
        if cadence is not Cadence.DAILY:
            previous = self._gather(session, period.previous(), now, details=False)
        if cadence is Cadence.QUARTERLY:
            year_before = self._gather(session, period.year_before(), now, details=False)
        bureau, county = names(session, self.rules.bureau_name)
        ctx = ReportContext(period, now, county, figures, self.rules, previous, year_before)
        sections = [
            Section(s.title, blocks) for s in sections_for(cadence, ranker=self.ranker) if (blocks := s.blocks(ctx))
        ]
        return Report(cadence, period, bureau, county, now, sections, figures)

    def _gather(self, session: Session, period: ReportPeriod, now: datetime, *, details: bool) -> Figures:
        return gather(session, period, now, self.tasks, self.rules, self.desk_rules, details=details, series=details)

    # -- the schedule ----------------------------------------------------------------------------------

    def due(self, now: datetime) -> list[ReportPeriod]:
        """The periods just ended whose reports are due at `now` (the publish hour of the day after passed)."""
        out = []
        for cadence in self.rules.scheduled:
            period = last_complete(cadence, now)
            if now >= period.end + timedelta(hours=self.rules.publish_hour):
                out.append(period)
        return out

    def schedule(self, session: Session) -> int:
        """Announce, once each, the reports due now (the sweeper calls this): how many were announced."""
        due = {f"{PUBLISH}:{p.cadence.value}:{p.key}": p for p in self.due(self.clock.now())}
        if not due:
            return 0
        known = set(session.scalars(select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(list(due)))))
        added = 0
        for key, period in due.items():
            if key in known:
                continue
            if (
                self.outbox.put(session, PUBLISH, {"cadence": period.cadence.value, "period": period.key}, key)
                is not None
            ):
                added += 1
        return added

    def publish(self, message: Message) -> None:
        """The outbox's handler: write the report's PDF and HTML into the archive (a repeat rewrites the same)."""
        cadence = Cadence(str(message.payload["cadence"]))
        period = parse_period(cadence, str(message.payload["period"]))
        with self.db.session() as session:
            report = self.build(session, cadence, period)
        self.write(report)
        log.info("report %s written into %s", report.file_stem, self.archive_dir)

    def write(self, report: Report) -> list[Path]:
        self.archive_dir.mkdir(parents=True, exist_ok=True)
        written = []
        for fmt in (ReportFormat.PDF, ReportFormat.HTML):
            target = self.archive_dir / f"{report.file_stem}.{fmt.value}"
            _write_atomically(target, render(report, fmt))
            written.append(target)
        return written

    # -- the archive -----------------------------------------------------------------------------------

    def archive(self, cadence: Cadence | None = None) -> list[ArchivedReport]:
        """The reports the worker wrote, newest period first (a file whose name is not a report's is left out)."""
        if not self.archive_dir.is_dir():
            return []
        out = []
        for path in self.archive_dir.iterdir():
            match = ARCHIVE_NAME.match(path.name)
            if match is None or not path.is_file():
                continue
            found = Cadence(match.group(1))
            if cadence is not None and found is not cadence:
                continue
            stat = path.stat()
            out.append(
                ArchivedReport(
                    path.name,
                    found,
                    match.group(2),
                    ReportFormat(match.group(3)),
                    stat.st_size,
                    datetime.fromtimestamp(stat.st_mtime, tz=self.clock.now().tzinfo),
                )
            )
        order = list(Cadence)
        # The newest period first (by its last day); on one day the shorter cadence first, the PDF before the HTML.
        return sorted(
            out,
            key=lambda r: (
                -parse_period(r.cadence, r.period).last.toordinal(),
                order.index(r.cadence),
                r.format is not ReportFormat.PDF,
            ),
        )

    def archived(self, name: str) -> Path:
        """The file of an archived report by its name; a name that is not one (or a path) is a 404."""
        if ARCHIVE_NAME.match(name) is None or not (self.archive_dir / name).is_file():
            raise NotFound("没有这份报告", field="name")
        return self.archive_dir / name


def _write_atomically(target: Path, body: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(body)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
