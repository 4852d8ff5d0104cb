"""Tables written out as CSV and XLSX: headings, Shanghai times, formulas defused, Excel's limits on titles."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from openpyxl import load_workbook

from pingan.core.exports import Column, ExportFormat, Sheet, write

SHEET = Sheet(
    "任务清单",
    [
        Column("id", "编号"),
        Column("person.phone", "手机号"),
        Column("at", "时间"),
        Column("note", "备注"),
        Column("ok", "超时"),
    ],
    [
        {
            "id": 1,
            "person": {"phone": "138****0001"},
            "at": "2026-11-23T02:00:00+00:00",
            "note": "=HYPERLINK(1)",
            "ok": True,
        },
        {"id": 2, "person": None, "at": datetime(2026, 11, 23, 16, 30, tzinfo=UTC), "note": "-5 元", "ok": False},
    ],
)


def test_csv_has_a_bom_the_headings_and_shanghai_times() -> None:
    raw = write(SHEET, ExportFormat.CSV)
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["编号", "手机号", "时间", "备注", "超时"]
    assert rows[1] == ["1", "138****0001", "2026-11-23 10:00:00", "'=HYPERLINK(1)", "是"]
    # Past midnight in Shanghai: the next day. A nested value that is missing is an empty cell.
    assert rows[2] == ["2", "", "2026-11-24 00:30:00", "'-5 元", "否"]


def test_xlsx_holds_the_same_cells_and_numbers_stay_numbers() -> None:
    book = load_workbook(io.BytesIO(write(SHEET, ExportFormat.XLSX)), read_only=True)
    sheet = book.worksheets[0]
    assert sheet.title == "任务清单"
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("编号", "手机号", "时间", "备注", "超时")
    assert rows[1] == (1, "138****0001", "2026-11-23 10:00:00", "'=HYPERLINK(1)", "是")


def test_a_long_or_odd_title_is_made_one_excel_accepts() -> None:
    sheet = Sheet("a/b:c*d?[e]" + "x" * 40, [Column("id", "编号")], [{"id": 1}])
    book = load_workbook(io.BytesIO(write(sheet, ExportFormat.XLSX)), read_only=True)
    title = book.worksheets[0].title
    assert len(title) == 31
    assert not set("/:*?[]") & set(title)


def test_an_empty_list_is_the_headings_alone() -> None:
    empty = Sheet("空", [Column("id", "编号")], [])
    assert write(empty, ExportFormat.CSV).decode("utf-8-sig") == "编号\r\n"
