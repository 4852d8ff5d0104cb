"""Tables written out as CSV or XLSX files, for every list and figure table the staff UI shows.

A `Sheet` is what a screen shows: its column headings (in Chinese, as on the screen) and its rows, already
masked and scoped by the query that produced them. Writing one is pure: the caller records the export.
`write_to` writes rows as they come (any iterable, e.g. a whole list read page by page) into a file, so a
list of a hundred thousand rows is never held in memory, and says how many it wrote.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import IO, Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A cell a spreadsheet would read as a formula ("=HYPERLINK(...)", "+1", "@SUM") is written as text: an
# exported list must never run what someone typed into a request (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_EXPORT_ROWS = 100_000


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


MEDIA_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class Column:
    key: str
    heading: str
    value: Callable[[Mapping[str, Any]], Any] | None = None
    """How the cell is read from a row (default: `row[key]`, a dotted key reads nested objects)."""

    def of(self, row: Mapping[str, Any]) -> Any:
        if self.value is not None:
            return self.value(row)
        found: Any = row
        for part in self.key.split("."):
            if not isinstance(found, Mapping):
                return None
            found = found.get(part)
        return found


@dataclass(frozen=True)
class Sheet:
    title: str
    columns: Sequence[Column]
    rows: Iterable[Mapping[str, Any]] = field(default_factory=list)
    """Read once, in order: a list, or a generator reading pages."""

    def cells(self) -> Iterable[list[Any]]:
        for row in self.rows:
            yield [_cell(c.of(row)) for c in self.columns]


def _cell(value: Any) -> Any:
    """A value as a spreadsheet shows it: times in Shanghai, enums by value, lists joined, text defused."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        shown = value.astimezone(SHANGHAI) if value.tzinfo else value
        return shown.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, list | tuple | set):
        return "、".join(str(_cell(v)) for v in value)
    text = str(value)
    if _looks_like_iso_time(text):
        try:
            return _cell(datetime.fromisoformat(text))
        except ValueError:
            pass
    return "'" + text if text.startswith(_FORMULA_START) else text


def _looks_like_iso_time(text: str) -> bool:
    return len(text) >= 19 and text[4] == "-" and text[7] == "-" and text[10] == "T"


def write_csv(sheet: Sheet) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel on a Chinese Windows opens it without garbling."""
    out = io.BytesIO()
    _csv_to(sheet, out)
    return out.getvalue()


def write_xlsx(sheet: Sheet) -> bytes:
    """One worksheet, headings in bold, written in openpyxl's streaming mode (memory stays flat)."""
    out = io.BytesIO()
    _xlsx_to(sheet, out)
    return out.getvalue()


def _csv_to(sheet: Sheet, out: IO[bytes]) -> int:
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    text.write("\ufeff")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow([c.heading for c in sheet.columns])
    count = 0
    for cells in sheet.cells():
        writer.writerow(cells)
        count += 1
    text.flush()
    text.detach()  # the caller owns `out`
    return count


def _xlsx_to(sheet: Sheet, out: IO[bytes]) -> int:
    book = Workbook(write_only=True)
    ws = book.create_sheet(title=_sheet_title(sheet.title))
    headings = []
    for column in sheet.columns:
        cell = WriteOnlyCell(ws, value=column.heading)
        cell.font = Font(bold=True)
        headings.append(cell)
    ws.append(headings)
    count = 0
    for cells in sheet.cells():
        ws.append(cells)
        count += 1
    book.save(out)
    return count


def write_to(sheet: Sheet, fmt: ExportFormat, out: IO[bytes]) -> int:
    """Write the sheet into `out` as its rows come; returns the number of rows written."""
    return _csv_to(sheet, out) if fmt is ExportFormat.CSV else _xlsx_to(sheet, out)


def _sheet_title(title: str) -> str:
    # Excel refuses these characters and titles over 31 characters.
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in title).strip() or "Sheet"
    return cleaned[:31]


def write(sheet: Sheet, fmt: ExportFormat) -> bytes:
    return write_csv(sheet) if fmt is ExportFormat.CSV else write_xlsx(sheet)
