"""CSV import files: the header is checked against the import's columns before any row is read."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from pingan.core.csvfile import CsvColumns, read_csv
from pingan.core.errors import BadInput
from pingan.core.people import PEOPLE_COLUMNS
from pingan.fraud.indicators import INDICATOR_COLUMNS


class Row(BaseModel):
    name: str
    phones: str = ""
    note: str | None = None


COLUMNS = CsvColumns.of(Row)


def refusal(header: list[str] | None) -> BadInput:
    with pytest.raises(BadInput) as caught:
        COLUMNS.check(header)
    return caught.value


def test_columns_of_a_model_are_its_fields_in_order_and_those_without_default_are_required() -> None:
    assert CsvColumns(("name", "phones", "note"), frozenset({"name"})) == COLUMNS


def test_the_imports_document_their_columns_as_the_readme_does() -> None:
    assert PEOPLE_COLUMNS.names == ("name", "id_number", "phones", "address", "lon", "lat", "crs", "birth_year", "tags")
    assert PEOPLE_COLUMNS.required == {"name"}
    assert INDICATOR_COLUMNS.names == ("kind", "value", "fraud_type", "source", "note", "expires_at")
    assert INDICATOR_COLUMNS.required == {"kind", "value"}


def test_a_header_of_known_columns_in_any_order_and_with_spaces_passes() -> None:
    COLUMNS.check([" note", "name ", "phones"])
    COLUMNS.check(["name"])


def test_an_unknown_column_is_named_with_the_expected_ones() -> None:
    error = refusal(["name", "phone"])
    assert error.message == "unknown column 'phone' (the columns are name, phones, note; required: name)"
    assert error.field == "phone"


def test_several_problems_are_named_together() -> None:
    error = refusal(["phone", "mobile", "note", "note"])
    assert error.message.startswith(
        "unknown columns 'phone', 'mobile'; repeated column 'note'; missing column 'name' ("
    )


def test_a_missing_required_column_is_named() -> None:
    error = refusal(["phones"])
    assert error.message.startswith("missing column 'name' (")
    assert error.field == "name"


def test_blank_header_cells_from_a_trailing_comma_are_no_column() -> None:
    COLUMNS.check(["name", "phones", ""])


def test_an_empty_file_has_no_header() -> None:
    assert refusal(None).message.startswith("the file is empty: expected a header row (the columns are name")


def test_rows_come_with_their_physical_line_numbers_and_stripped_names(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text("\ufeffname , phones\n张一,1380\n\n李二\n王三,1390,extra\n", encoding="utf-8")
    assert list(read_csv(path, COLUMNS)) == [
        (2, {"name": "张一", "phones": "1380"}),
        (4, {"name": "李二", "phones": None}),
        (5, {"name": "王三", "phones": "1390"}),
    ]


def test_a_bad_header_is_refused_when_the_file_is_opened_not_when_rows_are_read(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text("name,phone\n张一,1380\n", encoding="utf-8")
    with pytest.raises(BadInput, match="unknown column 'phone'"):
        read_csv(path, COLUMNS)


def test_a_file_saved_in_gbk_is_refused_naming_the_first_line_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes(b"name,phones\n" + "张一,1380\n".encode("gbk"))
    with pytest.raises(BadInput, match="line 2 is not UTF-8 text: save the file as CSV UTF-8"):
        read_csv(path, COLUMNS)
