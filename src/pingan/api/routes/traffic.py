"""交通执法 routes: the traffic police system's records imported, and their figures with 同比."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, UploadFile
from sqlalchemy import ColumnElement, true
from starlette.concurrency import run_in_threadpool

from pingan.api.deps import CurrentUser, ScopeDep, ServicesDep, SessionDep, figure_period, require
from pingan.command.traffic.models import TrafficRecord
from pingan.command.traffic.queries import traffic_figures
from pingan.command.traffic.service import read_records_csv_bytes
from pingan.core.fields import DbId
from pingan.core.models import COUNTY_WIDE_ROLES, Role
from pingan.core.scope import Scope

router = APIRouter(prefix="/traffic", tags=["traffic"])

READ_ROLES = (*COUNTY_WIDE_ROLES, Role.STATION_HEAD, Role.OFFICER)
IMPORT_ROLES = (Role.ADMIN, Role.COMMANDER)


def area_scope(scope: Scope) -> ColumnElement[bool]:
    """A record lies in an area: a station's staff see their station's."""
    return true() if scope.county_wide else TrafficRecord.area_id.in_(sorted(scope.area_ids))


@router.post("/records/import")
async def import_records(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    file: Annotated[UploadFile, File(description="CSV: id,type,at,place,lon,lat,crs,outcome")],
) -> dict[str, Any]:
    """A CSV export of the traffic police system (the columns of `pingan traffic import`): the header checked
    first, bad rows named by line and field, the good kept; a record already stored (its `id`) is a duplicate."""
    require(user, *IMPORT_ROLES)
    rows = await run_in_threadpool(read_records_csv_bytes, await file.read())
    return services.traffic.import_rows(session, rows).as_dict()


@router.get("/figures")
def get_figures(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    start: datetime | None = None,
    end: datetime | None = None,
    area_id: DbId | None = None,
) -> dict[str, Any]:
    """Records of the period (30 days by default) and of the same period a year before, by type (三小车、涉酒驾驶、
    电动自行车、重点车辆), station area, outcome and month, each with 同比."""
    require(user, *READ_ROLES)
    start_at, end_at = figure_period(services, start, end)
    return traffic_figures(session, start_at, end_at, scope_clause=area_scope(scope), area_id=area_id)
