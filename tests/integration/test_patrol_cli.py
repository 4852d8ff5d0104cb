"""`pingan patrol zones import`, `pingan patrol reach` and `pingan patrol figures`: a zone file imported (a
replay updates, never duplicates), a bad file refused in one line, the reach of a point as JSON, and a point
outside China refused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.integration.test_cli import Cli, ok, template  # noqa: F401

ZONES = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"name": "甲片区", "code": "Z1"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[121.0, 29.0], [121.05, 29.0], [121.05, 29.1], [121.0, 29.1], [121.0, 29.0]]],
            },
        }
    ],
}


@pytest.fixture(name="cli")
def cli_fixture(template: Path, tmp_path: Path) -> Cli:  # noqa: F811 - the template fixture, imported
    path = tmp_path / "pingan.db"
    shutil.copyfile(template, path)
    return Cli(f"sqlite:///{path}", tmp_path)


def test_zones_import_reach_and_figures(cli: Cli) -> None:
    zones = cli.write("zones.geojson", json.dumps(ZONES, ensure_ascii=False))
    assert "1 created, 0 updated" in ok(cli("patrol", "zones", "import", zones)).stderr
    assert "0 created, 1 updated" in ok(cli("patrol", "zones", "import", zones)).stderr
    assert cli.count("patrol_zones") == 1
    bad = cli("patrol", "zones", "import", cli.write("bad.geojson", '{"type": "FeatureCollection", "features": [{}]}'))
    assert bad.exit_code != 0
    assert "error:" in bad.stderr
    assert "Traceback" not in bad.stderr
    answer = json.loads(ok(cli("patrol", "reach", "121.02", "29.05", "--json")).stdout)
    assert [c["minutes"] for c in answer["circles"]] == [1, 3, 5]
    assert answer["units"] == []
    outside = cli("patrol", "reach", "0", "0")
    assert outside.exit_code != 0
    assert "not in China" in outside.stderr
    figures = json.loads(ok(cli("patrol", "figures", "--json")).stdout)
    assert figures["total"]["alarms"] == 0
