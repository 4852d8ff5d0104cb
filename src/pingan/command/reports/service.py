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

from pingan.command.reports import coverage as coverages
from pingan.command.reports.charts import font_dir
from pingan.command.reports.coverage import Coverage
from pingan.command.reports.figures import CountyFigures, Figures, gather
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
from pingan.core.models import User
from pingan.core.outbox import Message, Outbox, OutboxMessage
from pingan.core.scope import Scope
from pingan.core.tasks import TaskService
from pingan.desk.queries import DeskRules

log = logging.getLogger(__name__)

PUBLISH = "command.report"
"""The outbox kind of a scheduled report; its payload is `{cadence, period}`."""
COUNTY_FOLDER = re.compile(r"[0-9A-Za-z_-]{1,32}\Z")
"""A county's folder of the archive: its area code."""
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
    coverage: Coverage

    @property
    def county_code(self) -> str | None:
        """The county (city, province) the report is of; None in a single county's installation."""
        return self.coverage.code

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
    def download_stem(self) -> str:
        """The file name handed out: the archive's, prefixed by the county code when there are several."""
        return self.file_stem if self.coverage.single else f"{self.coverage.code}-{self.file_stem}"

    @property
    def stations(self) -> list[str]:
        return [s.name for s, _ in self.figures.stations]


@dataclass(frozen=True, slots=True)
class ArchivedReport:
    name: str
    county: str | None
    """The county's folder (its code); None in a single county's installation."""
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

    def coverage(self, session: Session, county: str | None = None) -> Coverage:
        """What a report of `county` (an area code) covers; without one, the whole installation."""
        return coverages.by_code(session, county, self.rules.bureau_name)

    def viewer_coverage(self, session: Session, user: User, county: str | None = None) -> Coverage:
        """What a county-wide user's report covers: their own tenancy, or a county inside it (`county`)."""
        return coverages.for_viewer(session, user, county, self.rules.bureau_name)

    def build(
        self, session: Session, cadence: Cadence, period: ReportPeriod, coverage: Coverage | None = None
    ) -> Report:
        """The report of `period` for `coverage` (by default the whole installation): a county's counts within
        the county; a city's or a province's adds each county below it, counted within that county."""
        now = self.clock.now()
        covered = coverage if coverage is not None else self.coverage(session)
        figures = self._gather(session, period, now, covered, details=True)
        previous = year_before = None
        if cadence is not Cadence.DAILY:
            previous = self._gather(session, period.previous(), now, covered, details=False)
        if cadence is Cadence.QUARTERLY:
            year_before = self._gather(session, period.year_before(), now, covered, details=False)
        ctx = ReportContext(period, now, covered.name, figures, self.rules, previous, year_before, covered.whole)
        sections = [
            Section(s.title, blocks) for s in sections_for(cadence, ranker=self.ranker) if (blocks := s.blocks(ctx))
        ]
        return Report(cadence, period, covered.bureau, covered.name, now, sections, figures, covered)

    def _gather(
        self, session: Session, period: ReportPeriod, now: datetime, coverage: Coverage, *, details: bool
    ) -> Figures:
        def read(scope: Scope, *, details: bool) -> Figures:
            return gather(
                session,
                period,
                now,
                self.tasks,
                self.rules,
                self.desk_rules,
                details=details,
                series=details,
                within=scope,
            )

        figures = read(coverage.scope, details=details)
        figures.counties = [CountyFigures(c.code, c.name, read(c.scope, details=False)) for c in coverage.counties]
        return figures

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
        """Announce, once each, the reports due now (the sweeper calls this): how many were announced. With
        several counties, one report per county and period (the outbox's key names the county)."""
        periods = self.due(self.clock.now())
        if not periods:
            return 0
        counties: list[str | None] = (
            [c.code for c in coverages.county_areas(session)] if coverages.tenanted(session) else [None]
        )
        due: dict[str, dict[str, str]] = {}
        for period in periods:
            for county in counties:
                payload = {"cadence": period.cadence.value, "period": period.key}
                key = f"{PUBLISH}:{period.cadence.value}:{period.key}"
                if county is not None:
                    payload["county"] = county
                    key = f"{key}:{county}"
                due[key] = payload
        known = set(session.scalars(select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(list(due)))))
        added = 0
        for key, payload in due.items():
            if key in known:
                continue
            if self.outbox.put(session, PUBLISH, payload, key) is not None:
                added += 1
        return added

    def publish(self, message: Message) -> None:
        """The outbox's handler: write the report's PDF and HTML into the archive (a repeat rewrites the same);
        a county's into its own folder."""
        cadence = Cadence(str(message.payload["cadence"]))
        period = parse_period(cadence, str(message.payload["period"]))
        county = message.payload.get("county")
        with self.db.session() as session:
            report = self.build(session, cadence, period, self.coverage(session, str(county) if county else None))
        written = self.write(report)
        log.info("report %s written into %s", report.file_stem, written[0].parent)

    def folder(self, county: str | None) -> Path:
        """The archive's folder of a county (its code), or the root in a single county's installation."""
        if county is None:
            return self.archive_dir
        if COUNTY_FOLDER.match(county) is None:
            raise NotFound("没有这个县（市、区）的报告", field="county")
        return self.archive_dir / county

    def write(self, report: Report) -> list[Path]:
        folder = self.folder(report.county_code)
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for fmt in (ReportFormat.PDF, ReportFormat.HTML):
            target = folder / f"{report.file_stem}.{fmt.value}"
            _write_atomically(target, render(report, fmt))
            written.append(target)
        return written

    # -- the archive -----------------------------------------------------------------------------------

    def archive(self, cadence: Cadence | None = None, counties: Sequence[str] | None = None) -> list[ArchivedReport]:
        """The reports the worker wrote, newest period first (a file whose name is not a report's is left out):
        the root folder's in a single county's installation, else those of `counties` (their folders)."""
        out = []
        for county in counties if counties is not None else [None]:
            out.extend(self._archived_in(county, cadence))
        order = list(Cadence)
        # The newest period first (by its last day); on one day the shorter cadence first, then the county,
        # the PDF before the HTML.
        return sorted(
            out,
            key=lambda r: (
                -parse_period(r.cadence, r.period).last.toordinal(),
                order.index(r.cadence),
                r.county or "",
                r.format is not ReportFormat.PDF,
            ),
        )

    def _archived_in(self, county: str | None, cadence: Cadence | None) -> list[ArchivedReport]:
        folder = self.folder(county)
        if not folder.is_dir():
            return []
        out = []
        for path in folder.iterdir():
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
                    county,
                    found,
                    match.group(2),
                    ReportFormat(match.group(3)),
                    stat.st_size,
                    datetime.fromtimestamp(stat.st_mtime, tz=self.clock.now().tzinfo),
                )
            )
        return out

    def archived(self, name: str, county: str | None = None) -> Path:
        """The file of an archived report by its name (in its county's folder when there are several); a name
        that is not one (or a path) is a 404. Whether the asker may read that county's is the caller's."""
        folder = self.folder(county)
        if ARCHIVE_NAME.match(name) is None or not (folder / name).is_file():
            raise NotFound("没有这份报告", field="name")
        return folder / name


def _write_atomically(target: Path, body: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(body)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
