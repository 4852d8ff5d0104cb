"""`pingan patrol ...`: patrol zones from GeoJSON, the "135" reach of a point, and the alarms' response-time
figures per zone."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import orjson
import typer

from pingan.cli.main import app, console, fail, services
from pingan.core.errors import BadInput
from pingan.core.geo import CRS, in_china, to_wgs84
from pingan.core.scope import Scope

patrol_app = typer.Typer(help="Patrol zones (巡防片区), units and the 135 reach.", no_args_is_help=True)
zones_app = typer.Typer(help="Patrol zones.", no_args_is_help=True)
patrol_app.add_typer(zones_app, name="zones")
app.add_typer(patrol_app, name="patrol")
COUNTY = Scope(True, frozenset(), frozenset())


@zones_app.command("import")
def zones_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A GeoJSON FeatureCollection.")],
    crs: Annotated[CRS, typer.Option(help="What the file's coordinates are in.")] = CRS.WGS84,
    name_property: Annotated[str, typer.Option()] = "name",
    code_property: Annotated[str, typer.Option()] = "code",
) -> None:
    """Import patrol zones (upserted by code); each zone's station is the one its inner point lies in."""
    svc = services()
    try:
        document = orjson.loads(file.read_bytes())
    except orjson.JSONDecodeError as exc:
        fail(f"{file}: not JSON ({exc})")
    if not isinstance(document, dict):
        fail(f"{file}: expected a GeoJSON FeatureCollection")
    with svc.db.session() as session:
        try:
            done = svc.patrol.import_zones(
                session, document, crs=crs, name_property=name_property, code_property=code_property
            )
        except BadInput as exc:
            fail(f"{file}: {exc.message}")
    console.print(f"zones: {done.created} created, {done.updated} updated")


@patrol_app.command("reach")
def reach(
    lon: Annotated[float, typer.Argument()],
    lat: Annotated[float, typer.Argument()],
    crs: Annotated[CRS, typer.Option()] = CRS.WGS84,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """The patrol units inside the 1-, 3- and 5-minute circles of a point, and those left out with the reason."""
    if not in_china(lon, lat):
        fail("the point is not in China (lon and lat swapped?)")
    from pingan.command.patrol.queries import reach_view

    svc = services()
    wlon, wlat = to_wgs84(lon, lat, crs)
    with svc.db.session() as session:
        result, units = svc.patrol.reach(session, COUNTY, wlon, wlat, busy=svc.alarms.busy(session))
        view = reach_view(result, units, svc.patrol.rules, wlon, wlat, svc.clock.now())
    if as_json:
        typer.echo(json.dumps(view, ensure_ascii=False))
        return
    for unit in view["units"]:
        circle = f"{unit['circle']} min" if unit["circle"] else "beyond"
        console.print(
            f"{unit['code']:<16} {unit['kind']:<10} {circle:<8} {unit['travel_s']:>7.1f} s {unit['distance_m']:>8.0f} m"
        )
    for left in view["excluded"]:
        console.print(f"{left['code']:<16} left out: {left['reason']} ({left['detail']})")


@patrol_app.command("figures")
def figures(
    days: Annotated[int, typer.Option(min=1, max=3660)] = 30,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Response times per patrol zone of the alarms received in the last `days` days."""
    from pingan.command.alarms.queries import response_figures

    svc = services()
    end = svc.clock.now() + timedelta(seconds=1)
    with svc.db.session() as session:
        out = response_figures(session, COUNTY, end - timedelta(days=days), end, svc.patrol.rules.circles_minutes)
    if as_json:
        typer.echo(json.dumps(out, ensure_ascii=False))
        return
    for zone in [*out["zones"], {"zone_name": "合计", **out["total"]}]:
        median = zone["received_to_arrived"]["median_s"]
        console.print(
            f"{zone['zone_name']}: {zone['alarms']} alarms, {zone['arrived']} reached, "
            f"median received→arrived {median if median is not None else '—'} s, within 5 min {zone['arrived_within'].get('5', 0)}"
        )
