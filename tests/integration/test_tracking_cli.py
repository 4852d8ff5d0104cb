"""`pingan tags import`, `pingan stations import` and `pingan detections ingest`: replays change nothing,
bad rows and lines are reported with their line and field, the good ones are kept."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.integration.test_cli import Cli, ok, template  # noqa: F401


@pytest.fixture(name="cli")
def cli_fixture(template: Path, tmp_path: Path) -> Cli:  # noqa: F811 - the template fixture, imported
    path = tmp_path / "pingan.db"
    shutil.copyfile(template, path)
    return Cli(f"sqlite:///{path}", tmp_path)


STATIONS_CSV = """code,name,lon,lat,village,radius_m
S1,甲一村基站,121.02,29.05,甲一村,400
S2,甲二社区基站,121.07,29.05,甲二社区,
S3,坏基站,999,29.05,乙村,300
"""
TAGS_CSV = """tag,kind,owner_phone,owner_name,plate,frame_no,installed_at,service_point
CARD-1,vehicle_card,13800009001,秦某江,浙B12345,LX1,2026-10-01,丹东车行
CARD-2,vehicle_card,电话未知,李四,浙B2,,2026-10-01,丹东车行
BR-1,bracelet,+86 138 0000 9003,王家属,,,2026-10-03T09:00:00+08:00,

CARD-3,vehicle_card,13800009004,赵五,,,2026-10-01,
"""


def test_stations_and_tags_import_report_bad_lines_and_a_replay_changes_nothing(cli: Cli) -> None:
    stations = cli.write("stations.csv", STATIONS_CSV)
    first = ok(cli("stations", "import", stations))
    assert "2 created, 0 updated, 0 unchanged, 1 rejected" in first.stderr
    assert "line 4 lon" in first.stderr
    assert "0 created, 0 updated, 2 unchanged, 1 rejected" in ok(cli("stations", "import", stations)).stderr
    tags = cli.write("tags.csv", TAGS_CSV)
    result = ok(cli("tags", "import", tags))
    assert "2 created, 0 updated, 0 unchanged, 2 rejected" in result.stderr
    assert "line 3 owner_phone" in result.stderr
    assert "line 6 plate" in result.stderr  # after a blank line, the physical line
    assert "0 created, 0 updated, 2 unchanged, 2 rejected" in ok(cli("tags", "import", tags)).stderr
    assert cli.count("tracking_tags") == 2
    assert cli.count("tracking_vehicles") == 1


def test_a_file_with_an_unknown_column_is_refused_before_anything_is_stored(cli: Cli) -> None:
    bad = cli.write("tags.csv", "tag,kind,owner_phone,owner_name,installed_at,phone\n")
    result = cli("tags", "import", bad)
    assert result.exit_code == 1
    assert "unknown column 'phone'" in result.stderr


def test_detections_from_a_file_are_stored_once_with_bad_lines_reported(cli: Cli) -> None:
    ok(cli("stations", "import", cli.write("stations.csv", STATIONS_CSV)))
    ok(cli("tags", "import", cli.write("tags.csv", TAGS_CSV)))
    lines = [
        json.dumps({"tag": "CARD-1", "at": "2026-11-23T10:00:00+08:00", "station": "S1", "rssi": -70}),
        "{not json",
        json.dumps({"tag": "CARD-1", "at": "2026-11-23T10:00:03+08:00", "station": "S2", "rssi": -60}),
        json.dumps({"tag": "CARD-1", "at": "2026-11-23T10:30:00+08:00", "station": "S9"}),
        json.dumps({"tag": "CARD-1", "at": "2026-11-23T10:20:00+08:00", "station": "S2"}),
    ]
    file = cli.write("d.jsonl", "\n".join(lines) + "\n")
    first = ok(cli("detections", "ingest", file))
    assert "2 stored, 1 merged (overlap), 0 duplicates, 2 rejected" in first.stderr
    assert "line 2" in first.stderr
    assert "line 4 station" in first.stderr
    again = ok(cli("detections", "ingest", file))
    assert "0 stored, 0 merged (overlap), 3 duplicates, 2 rejected" in again.stderr
    assert cli.count("tracking_detections") == 2
