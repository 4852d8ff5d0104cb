"""The `pingan` command on a real SQLite file, run in-process as an administrator would type it.

A template database is built once through `pingan init` and `pingan areas import` (two stations side by
side, 甲 west of 乙, boxes obvious by eye) and copied for each test. Errors must be one line on stderr
with a non-zero exit, never a traceback.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from typer.testing import CliRunner, Result

from pingan.cli import app

STATION_A = (121.0, 29.0, 121.1, 29.1)
STATION_B = (121.1, 29.0, 121.2, 29.1)
POINT_A = (121.05, 29.05)
STATION_A_NAME = "甲街道"
STATION_B_NAME = "乙镇东门岛渔港社区警务区"  # longer than the table's station column


def _box(x0: float, y0: float, x1: float, y1: float) -> list[list[list[float]]]:
    return [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]


STATIONS = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"name": name, "adcode": code},
            "geometry": {"type": "Polygon", "coordinates": _box(*bounds)},
        }
        for name, code, bounds in ((STATION_A_NAME, "330225001", STATION_A), (STATION_B_NAME, "330225101", STATION_B))
    ],
}


@dataclass
class Cli:
    """`pingan --database-url URL ...` in this process, with the terminal `columns` wide."""

    url: str
    folder: Path

    def __call__(self, *args: str, columns: int = 80) -> Result:
        return CliRunner().invoke(app, ["--database-url", self.url, *args], env={"COLUMNS": str(columns)})

    def write(self, name: str, text: str) -> str:
        path = self.folder / name
        path.write_text(text, encoding="utf-8")
        return str(path)

    def count(self, table: str) -> int:
        with sqlite3.connect(self.url.removeprefix("sqlite:///")) as conn:
            return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608 - a test's own names


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.exit_code, result.stderr, result.exception)
    return result


def one_line_error(result: Result) -> str:
    """The error of a refused command: a non-zero exit and exactly one line on stderr, no traceback."""
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli-template")
    path = folder / "template.db"
    cli = Cli(f"sqlite:///{path}", folder)
    ok(cli("init"))
    ok(cli("areas", "import", cli.write("stations.geojson", json.dumps(STATIONS, ensure_ascii=False))))
    return path


@pytest.fixture
def cli(template: Path, tmp_path: Path) -> Cli:
    path = tmp_path / "pingan.db"
    shutil.copyfile(template, path)
    return Cli(f"sqlite:///{path}", tmp_path)


# --- a database without the schema ----------------------------------------------------------------

COMMANDS_NEEDING_THE_SCHEMA: Sequence[Sequence[str]] = (
    ("warnings", "--json"),
    ("warnings",),
    ("figures",),
    ("sweep",),
    ("areas", "lookup", "121.05", "29.05"),
    ("open311-key", "list"),
)


@pytest.mark.parametrize("command", COMMANDS_NEEDING_THE_SCHEMA, ids=" ".join)
def test_a_command_on_a_missing_sqlite_file_says_so_in_one_line_and_creates_no_file(
    tmp_path: Path, command: Sequence[str]
) -> None:
    path = tmp_path / "new.db"
    message = one_line_error(Cli(f"sqlite:///{path}", tmp_path)(*command))
    assert f"{path} does not exist" in message
    assert "pingan init" in message
    assert list(tmp_path.iterdir()) == []


def test_a_command_on_an_empty_sqlite_file_says_run_init_and_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    message = one_line_error(Cli(f"sqlite:///{path}", tmp_path)("warnings", "--json"))
    assert "has no schema" in message
    assert "run `pingan init`" in message
    assert [p.name for p in tmp_path.iterdir()] == ["empty.db"]
    assert path.stat().st_size == 0


def test_a_command_on_a_file_that_is_not_a_database_says_so_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("not a database\n", encoding="utf-8")
    message = one_line_error(Cli(f"sqlite:///{path}", tmp_path)("figures"))
    assert f"cannot read the database file {path}" in message


def test_init_creates_the_missing_file_and_then_commands_run(tmp_path: Path) -> None:
    cli = Cli(f"sqlite:///{tmp_path / 'fresh.db'}", tmp_path)
    ok(cli("init"))
    assert (tmp_path / "fresh.db").exists()
    assert json.loads(ok(cli("warnings", "--json")).stdout) == []


def test_a_command_on_a_database_missing_some_tables_names_them_and_says_run_init(cli: Cli) -> None:
    with sqlite3.connect(cli.url.removeprefix("sqlite:///")) as conn:
        conn.execute("DROP TABLE access_log")
    message = one_line_error(cli("figures"))
    assert "lacks the tables access_log: run `pingan init` to upgrade it" in message


def test_a_command_on_a_server_that_does_not_answer_says_so_in_one_line(tmp_path: Path) -> None:
    message = one_line_error(Cli("postgresql://pingan@127.0.0.1:1/pingan", tmp_path)("figures"))
    assert "cannot connect to the database postgresql://pingan@127.0.0.1:1/pingan" in message


@pytest.mark.postgres
def test_a_command_on_a_postgresql_database_without_the_schema_says_run_init(fresh_postgres_url: str) -> None:
    message = one_line_error(CliRunner().invoke(app, ["--database-url", fresh_postgres_url, "warnings", "--json"]))
    assert "has no schema" in message
    assert "run `pingan init`" in message


def test_settings_refused_in_production_are_one_line_not_a_traceback(cli: Cli) -> None:
    result = CliRunner().invoke(
        app,
        ["--database-url", cli.url, "figures"],
        # An instance folder of its own: a `var/secret_key` that a demo left in the checkout must not count.
        env={
            "PINGAN_ENVIRONMENT": "production",
            "PINGAN_SECRET_KEY": None,
            "PINGAN_SECRET_KEY_FILE": None,
            "PINGAN_INSTANCE_DIR": str(cli.folder / "instance"),
        },
    )
    assert "PINGAN_SECRET_KEY" in one_line_error(result)


def test_areas_lookup_names_the_station_of_a_point(cli: Cli) -> None:
    answer: dict[str, Any] = json.loads(ok(cli("areas", "lookup", str(POINT_A[0]), str(POINT_A[1]))).stdout)
    assert answer["name"] == STATION_A_NAME


# --- CSV imports ----------------------------------------------------------------------------------

PEOPLE_COLUMNS = "name, id_number, phones, address, lon, lat, crs, birth_year, tags"


def test_people_import_refuses_an_unknown_column_naming_it_and_the_expected_ones_and_imports_nothing(
    cli: Cli,
) -> None:
    path = cli.write("people.csv", "name,phone,lon,lat\n张一,13800000001,121.05,29.05\n李二,13900000002,121.15,29.05\n")
    message = one_line_error(cli("people", "import", path))
    assert "unknown column 'phone'" in message
    assert PEOPLE_COLUMNS in message
    assert cli.count("people") == 0


def test_people_import_refuses_a_file_without_the_required_name_column(cli: Cli) -> None:
    path = cli.write("people.csv", "phones,lon,lat\n13800000001,121.05,29.05\n")
    message = one_line_error(cli("people", "import", path))
    assert "missing column 'name'" in message
    assert cli.count("people") == 0


def test_people_import_with_the_documented_header_stores_residents_with_their_phones(cli: Cli) -> None:
    path = cli.write("people.csv", "name,phones,lon,lat,tags\n张一,13800000001;13800000011,121.05,29.05,elderly\n")
    assert "1 created" in ok(cli("people", "import", path)).stderr
    assert (cli.count("people"), cli.count("person_phones")) == (1, 2)


def test_indicators_import_refuses_an_unknown_column_and_imports_nothing(cli: Cli) -> None:
    path = cli.write("indicators.csv", "kind,value,type\nphone,17000000001,investment\n")
    message = one_line_error(cli("indicators", "import", path))
    assert "unknown column 'type'" in message
    assert "kind, value, fraud_type, source, note, expires_at" in message
    assert cli.count("indicators") == 0


def test_indicators_import_refuses_a_file_without_a_value_column(cli: Cli) -> None:
    path = cli.write("indicators.csv", "kind,fraud_type\nphone,investment\n")
    assert "missing column 'value'" in one_line_error(cli("indicators", "import", path))


# --- ingest ---------------------------------------------------------------------------------------


def lead(event_id: str, **fields: Any) -> str:
    """One JSONL line: a call to a resident, with `fields` laid over it."""
    item: dict[str, Any] = {
        "id": event_id,
        "source": "telecom",
        "kind": "call",
        "at": "2026-11-23T10:00:00+08:00",
        "subject_phone": "13800000001",
        "counterpart": "13600000000",
        "duration_s": 30,
        **fields,
    }
    return json.dumps(item, ensure_ascii=False)


def test_ingest_names_lines_that_are_not_json_or_not_objects_and_keeps_the_good_lines(cli: Cli) -> None:
    lines = [lead("e1"), '{"id": "e2", "source": ', lead("e3"), "42", "null", "[]", "", lead("e4")]
    result = ok(cli("ingest", cli.write("leads.jsonl", "\n".join(lines) + "\n")))
    report = result.stderr.splitlines()
    assert any(line.startswith("line 2: not valid JSON") for line in report), result.stderr
    for number in (4, 5, 6):
        assert any(line.startswith(f"line {number}: not an object") for line in report), result.stderr
    assert "Field required" not in result.stderr
    assert "events: 3 accepted, 0 duplicates, 4 rejected" in result.stderr
    assert cli.count("fraud_events") == 3


def test_ingest_still_names_the_field_of_a_valid_object_that_is_not_an_event(cli: Cli) -> None:
    result = cli("ingest", cli.write("leads.jsonl", lead("e1", kind="fax") + "\n"))
    assert result.exit_code == 2, "nothing at all was taken"
    assert "line 1 kind: Input should be" in result.stderr


# --- warnings -------------------------------------------------------------------------------------


def flattened(text: str) -> str:
    """Text without the frame and line breaks of a usage-error panel."""
    return " ".join(text.replace("│", " ").split())


@pytest.mark.parametrize(
    ("option", "value", "allowed"),
    [
        ("--level", "extreme", "'low', 'medium', 'high', 'critical'"),
        ("--status", "pending", "'open', 'closed'"),
    ],
)
def test_warnings_with_an_unknown_filter_value_is_a_usage_error_naming_the_allowed_values(
    cli: Cli, option: str, value: str, allowed: str
) -> None:
    result = cli("warnings", option, value)
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    error = flattened(result.stderr)
    assert f"Invalid value for '{option}'" in error
    assert f"'{value}' is not one of {allowed}" in error


FRAUD_PHONE = "17000000001"


@pytest.fixture
def county(cli: Cli) -> list[dict[str, Any]]:
    """Three open warnings from calls by a listed number: an elderly resident of 甲, a resident of 乙 (whose
    station's name is long) and a caller nobody knows; returned as `warnings --json` shows them."""
    people = "name,phones,lon,lat,birth_year,tags\n张一,13800000001,121.05,29.05,1950,elderly\n欧阳修远,13900000002,121.15,29.05,1990,\n"
    ok(cli("people", "import", cli.write("people.csv", people)))
    indicators = f"kind,value,fraud_type\nphone,{FRAUD_PHONE},impersonate_officials\n"
    ok(cli("indicators", "import", cli.write("indicators.csv", indicators)))
    leads = [
        lead(f"hit{i}", subject_phone=phone, counterpart=FRAUD_PHONE, duration_s=600)
        for i, phone in enumerate(("13800000001", "13900000002", "13700000009"))
    ]
    assert "3 warnings opened" in ok(cli("ingest", cli.write("leads.jsonl", "\n".join(leads)))).stderr
    warnings: list[dict[str, Any]] = json.loads(ok(cli("warnings", "--json")).stdout)
    return warnings


def test_the_warnings_table_shows_statuses_in_chinese_one_line_per_warning_within_80_columns(
    cli: Cli, county: list[dict[str, Any]]
) -> None:
    table = ok(cli("warnings", columns=80)).stdout.splitlines()
    assert max(cell_len(line) for line in table) <= 80, "\n".join(table)
    # The header and one line per warning: no cell wrapped onto a line of its own.
    assert len([line for line in table if any(ch.isalnum() for ch in line)]) == 1 + len(county), "\n".join(table)
    for warning in county:
        rows = [line for line in table if warning["person"]["phone"] in line]
        assert len(rows) == 1, "\n".join(table)
        row = rows[0]
        assert f"{warning['id']} " in row
        assert warning["level_name"] in row
        assert "待处置" in row
        assert warning["task"]["status_name"] in row
        assert warning["reasons"][0]["text"][:4] in row
    assert not {"open", "issued", "closed"} & set(" ".join(table).split())


def test_the_warnings_table_shortens_a_long_station_name_and_shows_whole_reasons_when_wide(
    cli: Cli, county: list[dict[str, Any]]
) -> None:
    narrow = ok(cli("warnings", columns=80)).stdout
    assert STATION_A_NAME in narrow
    assert STATION_B_NAME[:3] in narrow
    assert STATION_B_NAME not in narrow
    assert "未落地" in narrow
    wide = ok(cli("warnings", columns=240)).stdout
    for warning in county:
        assert "；".join(r["text"] for r in warning["reasons"]) in wide


def test_warnings_filters_by_level(cli: Cli, county: list[dict[str, Any]]) -> None:
    level = county[0]["level"]
    shown = json.loads(ok(cli("warnings", "--json", "--level", level)).stdout)
    assert {w["id"] for w in shown} == {w["id"] for w in county if w["level"] == level}
    assert json.loads(ok(cli("warnings", "--json", "--status", "closed")).stdout) == []
