"""The command centre's reports: 日研判、周通报、月点评、季总结 on demand (PDF or HTML), and the archive the
worker writes each morning. County-wide roles only (the reports name every station and its overdue tasks);
every file handed out is in the audit events as an export is (`GET /audit/events?kind=export`).

With several counties in one deployment a report is the viewer's tenancy's: a county's users get their
county's (made or archived), a city's or a province's theirs or a county's below them (`county`); another
county's is a 403 naming `county`."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel

from pingan.api.deps import ClientAddress, CurrentUser, ServicesDep, SessionDep, require
from pingan.command.reports.coverage import county_names, viewer_counties
from pingan.command.reports.periods import CADENCE_NAMES, Cadence
from pingan.command.reports.service import MEDIA_TYPES, ReportFormat, render
from pingan.core.errors import BadInput, Forbidden
from pingan.core.identity import record_auth_event
from pingan.core.models import COUNTY_WIDE_ROLES, AuthEventKind, User

router = APIRouter(prefix="/command/reports", tags=["reports"])

FILE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The report",
        "content": {MEDIA_TYPES[ReportFormat.PDF]: {}, MEDIA_TYPES[ReportFormat.HTML]: {}},
    }
}


County = Annotated[
    str | None,
    Query(
        max_length=32,
        description="A county's (city's, province's) area code within the viewer's own; several counties only",
    ),
]


class ArchivedReportPublic(BaseModel):
    name: str
    county: str | None
    """The county the report is of (its area code); None in a single county's installation."""
    county_name: str | None = None
    cadence: Cadence
    cadence_name: str
    period: str
    format: ReportFormat
    size: int
    written_at: str


def _file(
    services: Any,
    session: Any,
    user: User,
    address: str | None,
    *,
    what: str,
    detail: dict[str, Any],
    fmt: ReportFormat,
    body: bytes,
    filename: str,
    ascii_name: str,
) -> Response:
    record_auth_event(
        session,
        AuthEventKind.EXPORT,
        services.clock.now(),
        user=user,
        address=address,
        detail={"what": what, "format": fmt.value, **detail},
    )
    return Response(
        content=body,
        media_type=MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}",
            "Cache-Control": "no-store",
        },
    )


@router.get("", response_model=list[ArchivedReportPublic])
def archive(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    cadence: Annotated[Cadence | None, Query(description="Only this cadence")] = None,
    county: County = None,
) -> list[ArchivedReportPublic]:
    """The reports the worker wrote (each morning, the periods just ended), newest period first: with several
    counties, those of the viewer's counties (or of `county`, one of them)."""
    require(user, *COUNTY_WIDE_ROLES)
    counties = viewer_counties(session, user)
    if counties is not None and county is not None:
        counties = [_own_county(counties, county)]
    names = county_names(session) if counties is not None else {}
    return [
        ArchivedReportPublic(
            name=r.name,
            county=r.county,
            county_name=names.get(r.county or ""),
            cadence=r.cadence,
            cadence_name=CADENCE_NAMES[r.cadence],
            period=r.period,
            format=r.format,
            size=r.size,
            written_at=r.written_at.isoformat(),
        )
        for r in services.reports.archive(cadence, counties)
    ]


def _own_county(counties: list[str], county: str) -> str:
    if county not in counties:
        raise Forbidden("只能查看本辖区县（市、区）的报告", field="county", code="outside_tenancy")
    return county


@router.get("/archive/{name}", responses=FILE_RESPONSE, response_class=Response)
def archived(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    address: ClientAddress,
    name: Annotated[str, Path(max_length=64, description="A name from the archive list")],
    county: County = None,
) -> Response:
    """One archived report's file (with several counties, of `county`: the list's; a county's own users may
    leave it out)."""
    require(user, *COUNTY_WIDE_ROLES)
    counties = viewer_counties(session, user)
    folder: str | None = None
    if counties is not None:
        if county is None:
            if len(counties) != 1:
                raise BadInput("请指明报告所属的县（市、区）代码", field="county")
            county = counties[0]
        folder = _own_county(counties, county)
    path = services.reports.archived(name, folder)
    fmt = ReportFormat(path.suffix.lstrip("."))
    return _file(
        services,
        session,
        user,
        address,
        what="report-archive",
        detail={"name": name} if folder is None else {"name": name, "county": folder},
        fmt=fmt,
        body=path.read_bytes(),
        filename=name,
        ascii_name=name,
    )


@router.get("/{cadence}", responses=FILE_RESPONSE, response_class=Response)
def report(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    address: ClientAddress,
    cadence: Cadence,
    period: Annotated[
        str | None,
        Query(
            max_length=20,
            description="2026-11-30, 2026-W47, 2026-11 or 2026-Q3 by the cadence; default: the last complete one",
        ),
    ] = None,
    fmt: Annotated[ReportFormat, Query(alias="format", description="pdf or html")] = ReportFormat.PDF,
    county: County = None,
) -> Response:
    """A report made now from the period's figures: every station, with charts; a period that has not ended
    is read up to now. With several counties, the viewer's county's (a city's or a province's: the counties
    below it, each with its table), or that of `county` inside the viewer's own."""
    require(user, *COUNTY_WIDE_ROLES)
    chosen = services.reports.period(cadence, period)
    covered = services.reports.viewer_coverage(session, user, county)
    built = services.reports.build(session, cadence, chosen, covered)
    body = render(built, fmt)
    return _file(
        services,
        session,
        user,
        address,
        what=f"report-{cadence.value}",
        detail={"period": chosen.key} if covered.single else {"period": chosen.key, "county": covered.code},
        fmt=fmt,
        body=body,
        filename=f"{built.bureau}{built.heading}.{fmt.value}",
        ascii_name=f"{built.download_stem}.{fmt.value}",
    )
