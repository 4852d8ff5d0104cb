"""`pingan bench reach`: "135" reach queries per second over a county's patrol units.

A fresh database with the generated county's 18 towns, `units` patrol units spread over them (cars,
motorbikes, e-bikes, foot patrols), every one with a position of the last minutes and a shift on the roster
(a tenth on leave, a twentieth with a stale position), then `queries` reach queries at random points of
the county: through the service (the units, their positions and the roster read from the database, then the
circles computed) and the circles alone (the pure rules over units already in memory).
"""

from __future__ import annotations

import random
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from pingan.bench.common import percentile, stderr
from pingan.bootstrap import bootstrap
from pingan.command.patrol import reach as reach_rules
from pingan.command.patrol.models import DutyShift, PatrolUnit, ShiftKind, UnitType
from pingan.core.areas import import_areas
from pingan.core.db import Database
from pingan.core.scope import Scope
from pingan.core.settings import Settings
from pingan.core.setup import ensure_centre_units
from pingan.demo.county import generate_county

COUNTY = Scope(True, frozenset(), frozenset())


@dataclass(frozen=True)
class ReachBenchConfig:
    units: int = 500
    queries: int = 2_000
    database_url: str | None = None
    seed: int = 7


def run_reach_bench(config: ReachBenchConfig) -> dict[str, Any]:
    rng = random.Random(config.seed)
    tmp = tempfile.TemporaryDirectory(prefix="pingan-bench-reach-")
    url = config.database_url or f"sqlite:///{Path(tmp.name) / 'reach.db'}"
    db = Database(url)
    db.create_all()
    services = bootstrap(Settings(database_url=url, instance_dir=Path(tmp.name)), db=db)
    try:
        towns = generate_county(config.seed)
        now = services.clock.now()
        with db.session() as session:
            ensure_centre_units(session)
            import_areas(session, towns)
            from sqlalchemy import select

            from pingan.core.models import Unit, UnitKind

            stations = list(session.scalars(select(Unit.id).where(Unit.kind == UnitKind.STATION)))
            kinds = list(UnitType)
            points = []
            for i in range(config.units):
                town = towns[i % len(towns)].geometry
                minx, miny, maxx, maxy = town.bounds
                lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
                points.append((lon, lat))
                age = timedelta(minutes=30) if i % 20 == 0 else timedelta(seconds=rng.uniform(0, 300))
                unit = PatrolUnit(
                    code=f"B{i:04d}", name=f"巡组{i}", kind=kinds[i % len(kinds)], unit_id=stations[i % len(stations)],
                    active=True, lon=lon, lat=lat, position_at=now - age, created_at=now,
                )  # fmt: skip
                session.add(unit)
                session.flush()
                kind = ShiftKind.LEAVE if i % 10 == 0 else ShiftKind.DUTY
                session.add(
                    DutyShift(
                        kind=ShiftKind.DUTY, unit_id=unit.unit_id, patrol_unit_id=unit.id,
                        starts_at=now - timedelta(hours=4), ends_at=now + timedelta(hours=8), created_at=now,
                    )
                )  # fmt: skip
                if kind is ShiftKind.LEAVE:
                    session.add(
                        DutyShift(
                            kind=kind, unit_id=unit.unit_id, patrol_unit_id=unit.id,
                            starts_at=now - timedelta(hours=4), ends_at=now + timedelta(hours=8), created_at=now,
                        )
                    )  # fmt: skip
        stderr(f"{config.units} patrol units placed over {len(towns)} towns; {config.queries} queries")
        targets = [points[rng.randrange(len(points))] for _ in range(config.queries)]
        targets = [(lon + rng.uniform(-0.01, 0.01), lat + rng.uniform(-0.01, 0.01)) for lon, lat in targets]
        service_ms: list[float] = []
        reached = within5 = excluded = 0
        started = time.perf_counter()
        cpu_started = time.process_time()
        with db.session() as session:
            for lon, lat in targets:
                t0 = time.perf_counter()
                result, _units = services.patrol.reach(session, COUNTY, lon, lat)
                service_ms.append((time.perf_counter() - t0) * 1000)
                reached += len(result.reached)
                within5 += len(result.within(5))
                excluded += len(result.left)
        service_s = time.perf_counter() - started
        service_cpu_s = time.process_time() - cpu_started
        with db.session() as session:
            units = services.patrol.units(session, COUNTY)
            verdicts = services.patrol.unit_verdicts(session, units, now)
            fixes = [reach_rules.Fix(u.id, u.kind, u.lon, u.lat, u.position_at) for u in units]
        compute_ms: list[float] = []
        started = time.perf_counter()
        for lon, lat in targets:
            t0 = time.perf_counter()
            reach_rules.compute(lon, lat, fixes, now, services.patrol.rules, verdicts)
            compute_ms.append((time.perf_counter() - t0) * 1000)
        compute_s = time.perf_counter() - started
        service_ms.sort()
        compute_ms.sort()
        return {
            "units": config.units,
            "queries": config.queries,
            "database": url.split(":", 1)[0],
            "queries_per_s": round(config.queries / service_s, 1),
            "p50_ms": round(percentile(service_ms, 50) or 0.0, 3),
            "p99_ms": round(percentile(service_ms, 99) or 0.0, 3),
            "cpu_ms_per_query": round(service_cpu_s * 1000 / config.queries, 3),
            "compute_per_s": round(config.queries / compute_s, 1),
            "compute_p50_ms": round(percentile(compute_ms, 50) or 0.0, 3),
            "compute_p99_ms": round(percentile(compute_ms, 99) or 0.0, 3),
            "mean_within_5_min": round(within5 / config.queries, 2),
            "mean_excluded": round(excluded / config.queries, 2),
        }
    finally:
        services.close()
        tmp.cleanup()
