"""`pingan dangers import` (a list of findings, departments by their unit code), `pingan dangers figures` and
`pingan disputes figures`: bad rows named by line and field, the good ones kept, a replay changes nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from pingan.core.db import Database
from pingan.core.models import Task, Unit, UnitKind
from tests.integration.test_cli import Cli, ok, template  # noqa: F401


@pytest.fixture(name="cli")
def cli_fixture(template: Path, tmp_path: Path) -> Cli:  # noqa: F811 - the template fixture, imported
    path = tmp_path / "pingan.db"
    shutil.copyfile(template, path)
    db = Database(f"sqlite:///{path}")
    with db.session() as session:
        for code, name in (("zj", "县住建局"), ("xf", "县消防救援大队"), ("jt", "县交通运输局")):
            session.add(Unit(code=code, name=name, kind=UnitKind.GOVERNANCE))
    db.dispose()
    return Cli(f"sqlite:///{path}", tmp_path)


DANGERS_CSV = """id,kind,title,place,lead,lon,lat,co,due_date
XS-1,traffic,沿海南线道口,沿海南线K12,jt,121.02,29.05,zj:设置警示标志,2027-03-31
XS-2,fire_lane,商贸小区消防通道,商贸小区北门,zj,121.07,29.05,xf:处罚占用;jt:拖离车辆,
XS-3,bridge,坏类型,某处,zj,,,,
XS-4,rental_housing,出租房屋,某村12号,nobody,,,,
"""


def test_a_list_of_findings_is_imported_once_with_bad_rows_named(cli: Cli) -> None:
    file = cli.write("dangers.csv", DANGERS_CSV)
    first = ok(cli("dangers", "import", file))
    assert "2 created, 0 unchanged, 2 rejected" in first.stderr
    assert "line 4 kind" in first.stderr
    assert "line 5 lead" in first.stderr
    assert "0 created, 2 unchanged, 2 rejected" in ok(cli("dangers", "import", file)).stderr
    assert cli.count("dangers") == 2
    assert cli.count("danger_departments") == 5
    db = Database(cli.url)
    with db.session() as session:
        kinds = sorted(session.scalars(select(Task.kind).where(Task.kind.like("hidden_danger%"))))
    db.dispose()
    assert kinds == ["hidden_danger", "hidden_danger", "hidden_danger_part", "hidden_danger_part", "hidden_danger_part"]
    figures = json.loads(ok(cli("dangers", "figures", "--json")).stdout)
    assert figures["total"]["found"] == 2
    assert figures["total"]["open"] == 2
    disputes = json.loads(ok(cli("disputes", "figures", "--json")).stdout)
    assert disputes["total"]["received"] == 0


def test_a_file_with_an_unknown_column_is_refused_before_anything_is_stored(cli: Cli) -> None:
    result = cli("dangers", "import", cli.write("d.csv", "id,kind,title,place,lead,leader\n"))
    assert result.exit_code == 1
    assert "unknown column 'leader'" in result.stderr
    assert cli.count("dangers") == 0
