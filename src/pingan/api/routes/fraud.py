"""Fraud routes: intake, indicator lists, the warning queue, figures."""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, File, Query, Request, Response, UploadFile
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.api.body import feed_batch, nothing_good
from pingan.api.deps import CurrentUser, ScopeDep, ServicesDep, SessionDep, figure_period, require
from pingan.api.schemas import batch_body
from pingan.core.db import containing
from pingan.core.errors import BadInput, Forbidden, NotFound
from pingan.core.fields import DbId
from pingan.core.identifiers import IdentifierKind, mask_free_text, mask_phone
from pingan.core.models import COUNTY_WIDE_ROLES, AccessLog, Area, Person, Role, Task, Unit, User
from pingan.core.scope import REVEAL_ROLES, Scope
from pingan.core.series import Step, buckets
from pingan.fraud.indicators import deactivate_indicator, import_indicators, read_indicators_csv, upsert_indicator
from pingan.fraud.models import FraudEvent, FraudWarning, Indicator, Level, WarningStatus
from pingan.fraud.queries import list_warnings, warning_counts, warning_events, warning_view
from pingan.fraud.schemas import IndicatorIn, IndicatorPublic
from pingan.fraud.service import Period, fraud_figures, fraud_series, overdue_tasks

router = APIRouter(prefix="/fraud", tags=["fraud"])

INTAKE_ROLES = (Role.ADMIN, Role.ANALYST, Role.COMMANDER, Role.PARTNER)
LIST_ROLES = (Role.ADMIN, Role.ANALYST, Role.COMMANDER)

_EVENTS_SCHEMA = batch_body("EventIn", "events")


@router.post(
    "/events",
    openapi_extra=_EVENTS_SCHEMA,
    responses={
        200: {"description": "Accepted (some items may be rejected, each naming its field)"},
        202: {"description": "Published to the leads stream (PINGAN_NATS_URL): the workers store it"},
        503: {"description": "The leads stream did not answer (PINGAN_NATS_URL); sending again is harmless"},
        422: {"description": "Nothing in the batch was valid"},
        413: {"description": "Body or batch too large"},
        415: {"description": "The body is not JSON (its Content-Type is named)"},
    },
)
async def post_events(request: Request, services: ServicesDep, user: CurrentUser) -> JSONResponse:
    """Take a batch of leads (a JSON array, or `{"events": [...]}`).

    Valid events are stored even when others are rejected; each rejection names its index, id and field.
    A replay of an already-stored (source, id) counts as a duplicate and creates nothing.
    """
    require(user, *INTAKE_ROLES)
    items = await feed_batch(request, "events", services.settings.max_batch_events, "事件")
    from starlette.concurrency import run_in_threadpool

    if services.streams is not None:
        # Several machines: validated here, stored by the stream workers (202: the warnings come after).
        result = await run_in_threadpool(
            services.intake.publish, items, services.streams, await run_in_threadpool(services.county_code)
        )
        ok = 202
    else:
        result = await run_in_threadpool(services.intake.ingest, items)
        ok = 200
    status = ok if (result.accepted or result.duplicates) else 422
    body_out = result.as_dict()
    if status == 422:
        body_out["error"] = nothing_good(result.rejected[0], "events")
    return JSONResponse(body_out, status_code=status)


# -- indicators ----------------------------------------------------------------------------------------


def _indicator_public(row: Indicator) -> IndicatorPublic:
    return IndicatorPublic.model_validate(row, from_attributes=True)


@router.get("/indicators", response_model=list[IndicatorPublic])
def list_indicators(
    session: SessionDep,
    user: CurrentUser,
    response: Response,
    kind: IdentifierKind | None = None,
    q: Annotated[str | None, Query(max_length=255, description="Part of the normalised value.")] = None,
    active: bool = True,
    limit: Annotated[int, Query(ge=1, le=5000)] = 200,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[IndicatorPublic]:
    """Indicators newest first, each with its hits (events matched); the true total is in `X-Total-Count`."""
    require(user, *LIST_ROLES)
    query = select(Indicator).where(Indicator.active == active)
    if kind is not None:
        query = query.where(Indicator.kind == kind.value)
    if q:
        query = query.where(containing(Indicator.value, q))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    response.headers["X-Total-Count"] = str(total)
    rows = list(session.scalars(query.order_by(Indicator.id.desc()).limit(limit).offset(offset)))
    hits = _hits(session, [r.id for r in rows])
    return [_indicator_public(r).model_copy(update={"hits": hits.get(r.id, 0)}) for r in rows]


def _hits(session: Session, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = session.execute(
        select(FraudEvent.indicator_id, func.count())
        .where(FraudEvent.indicator_id.in_(ids))
        .group_by(FraudEvent.indicator_id)
    ).all()
    return {int(i): int(n) for i, n in rows if i is not None}


@router.get("/indicators/{indicator_id}/hits")
def indicator_hits(
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    indicator_id: DbId,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """The events an indicator matched, newest first, the person's phone masked, with their warning."""
    require(user, *LIST_ROLES)
    row = session.get(Indicator, indicator_id)
    if row is None:
        raise NotFound("指标不存在", field="indicator_id")
    total = session.scalar(select(func.count()).select_from(FraudEvent).where(FraudEvent.indicator_id == row.id)) or 0
    events = session.scalars(
        select(FraudEvent).where(FraudEvent.indicator_id == row.id).order_by(FraudEvent.id.desc()).limit(limit)
    )
    return {
        "indicator": _indicator_public(row).model_copy(update={"hits": total}).model_dump(mode="json"),
        "total": total,
        "items": [
            {
                "id": e.id,
                "source": e.source,
                "source_id": e.source_id,
                "kind": e.kind,
                "at": e.at.isoformat(),
                "subject_phone": mask_phone(e.subject_phone),
                "warning_id": e.warning_id,
            }
            for e in events
        ],
    }


@router.post("/indicators/import")
async def import_indicator_file(
    services: ServicesDep,
    user: CurrentUser,
    file: Annotated[UploadFile, File(description="CSV: kind,value[,fraud_type,source,note,expires_at]")],
) -> dict[str, Any]:
    """A CSV file of indicators, as `pingan indicators import` reads it: the header is checked first, bad rows
    are reported by line and field, the good ones kept."""
    require(user, Role.ADMIN, Role.ANALYST)
    raw = await file.read()
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(_import_csv, services, raw)


def _import_csv(services: Any, raw: bytes) -> dict[str, Any]:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "indicators.csv"
        path.write_bytes(raw)
        with services.db.session() as session:
            report = import_indicators(session, read_indicators_csv(path), services.clock.now())
    return {
        "created": report.created,
        "updated": report.updated,
        "rejected": [{"line": line, "field": fld, "message": msg} for line, fld, msg in report.rejected],
    }


@router.post("/indicators", response_model=IndicatorPublic, status_code=201)
def create_indicator(
    services: ServicesDep, session: SessionDep, user: CurrentUser, body: IndicatorIn
) -> IndicatorPublic:
    """Add (or refresh) one indicator; the value is normalised before it is stored and matched."""
    require(user, Role.ADMIN, Role.ANALYST)
    row, _created = upsert_indicator(session, body, services.clock.now())
    return _indicator_public(row)


@router.delete("/indicators/{indicator_id}", status_code=204)
def delete_indicator(session: SessionDep, user: CurrentUser, indicator_id: DbId) -> None:
    """Take an indicator off the list (kept for history, no longer matched)."""
    require(user, Role.ADMIN, Role.ANALYST)
    row = session.get(Indicator, indicator_id)
    if row is None:
        raise NotFound("指标不存在", field="indicator_id")
    deactivate_indicator(session, row)


# -- warnings ------------------------------------------------------------------------------------------


@router.get("/warnings")
def get_warnings(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    status: WarningStatus | None = None,
    level: Level | None = None,
    area_id: DbId | None = None,
    since: AwareDatetime | None = None,
    before_id: Annotated[DbId | None, Query(description="Paging: ids below this one.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """The warning queue, newest first, personal data masked. Station staff see their station only."""
    _may_read_warnings(user)
    return list_warnings(
        session,
        services.clock.now(),
        brief=services.tasks.brief,
        scope_clause=scope.clause(FraudWarning.unit_id, FraudWarning.area_id),
        status=status.value if status else None,
        level=level.value if level else None,
        area_id=area_id,
        since=since,
        before_id=before_id,
        limit=limit,
    )


@router.get("/warnings/summary")
def warnings_summary(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    status: WarningStatus | None = None,
    level: Level | None = None,
    area_id: DbId | None = None,
    since: AwareDatetime | None = None,
) -> dict[str, Any]:
    """The queue's true counts for `GET /fraud/warnings`' filters: `total`, `by_level` (the level filter
    left out), `unsigned` and `overdue` — however few rows the screen has loaded."""
    _may_read_warnings(user)
    return warning_counts(
        session,
        overdue=services.tasks.overdue_clause(services.clock.now()),
        scope_clause=scope.clause(FraudWarning.unit_id, FraudWarning.area_id),
        status=status.value if status else None,
        level=level.value if level else None,
        area_id=area_id,
        since=since,
    )


WARNING_ROLES = frozenset({*COUNTY_WIDE_ROLES, Role.STATION_HEAD, Role.OFFICER})


def _may_read_warnings(user: User) -> None:
    if user.role not in WARNING_ROLES:
        raise Forbidden("当前角色不能查看预警")


def _visible_warning(session: Session, scope: Any, warning_id: DbId) -> FraudWarning:
    warning = session.get(FraudWarning, warning_id)
    if warning is None or not scope.covers(unit_id=warning.unit_id, area_id=warning.area_id):
        raise NotFound("预警不存在或不在本单位辖区", field="warning_id")
    return warning


@router.get("/warnings/{warning_id}")
def get_warning(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    warning_id: DbId,
    reveal: Annotated[bool, Query(description="Show unmasked personal data (the read is recorded).")] = False,
    purpose: Annotated[str, Query(max_length=200)] = "劝阻联系",
) -> dict[str, Any]:
    """One warning with its events; `reveal=true` unmasks the person for roles that need it, and records the read."""
    _may_read_warnings(user)
    warning = _visible_warning(session, scope, warning_id)
    if reveal and user.role not in REVEAL_ROLES:
        raise Forbidden("当前角色不能查看完整个人信息", field="reveal")
    now = services.clock.now()
    person = session.get(Person, warning.person_id) if warning.person_id else None
    if reveal:
        session.add(
            AccessLog(
                at=now,
                user_id=user.id,
                subject_type="person" if person else "phone",
                subject_id=person.id if person else warning.id,
                fields="name,phone,id_number,address,text",
                purpose=f"{purpose}（预警 {warning.id}）",
            )
        )
    area = session.get(Area, warning.area_id) if warning.area_id else None
    unit = session.get(Unit, warning.unit_id) if warning.unit_id else None
    task = session.get(Task, warning.task_id) if warning.task_id else None
    view = warning_view(
        warning,
        person,
        area.name if area else None,
        unit.name if unit else None,
        task,
        now,
        brief=services.tasks.brief,
        reveal=reveal,
    )
    view["events"] = [
        {
            "id": e.source_id,
            "source": e.source,
            "kind": e.kind,
            "at": e.at.isoformat(),
            "counterpart": e.counterpart,
            "counterpart_kind": e.counterpart_kind,
            "duration_s": e.duration_s,
            "amount_yuan": f"{e.amount_fen / 100:.2f}" if e.amount_fen is not None else None,
            # An SMS or chat line may carry the person's ID number, phone or card: masked as the person is.
            "text": e.text if reveal or e.text is None else mask_free_text(e.text),
        }
        for e in warning_events(session, warning.id)
    ]
    return view


@router.get("/warnings/by-task/{task_id}")
def get_warning_by_task(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    task_id: DbId,
    reveal: bool = False,
    purpose: Annotated[str, Query(max_length=200)] = "劝阻联系",
) -> dict[str, Any]:
    warning_id = session.scalar(select(FraudWarning.id).where(FraudWarning.task_id == task_id))
    if warning_id is None:
        raise NotFound("该任务没有对应预警", field="task_id")
    return get_warning(services, session, user, scope, warning_id, reveal, purpose)


@router.get("/figures")
def figures(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    start: AwareDatetime | None = None,
    end: AwareDatetime | None = None,
    area_id: DbId | None = None,
) -> dict[str, Any]:
    """Warnings, dissuasions (劝阻成功数), money protected (挽回损失) and deadlines met, per station and period."""
    _may_read_warnings(user)
    now = services.clock.now()
    start_at, end_at = figure_period(services, start, end)
    areas = _figure_areas(scope, area_id)
    overdue = services.tasks.count(session, scope, overdue_tasks(areas), now)
    return fraud_figures(session, Period(start_at, end_at), areas, overdue_open=overdue, within=_within(scope))


def _figure_areas(scope: Scope, area_id: int | None) -> set[int] | None:
    if area_id is not None and not scope.county_wide and area_id not in scope.area_ids:
        raise Forbidden("不在本单位辖区", field="area_id")
    return None if area_id is None else {area_id}


def _within(scope: Scope) -> Scope | None:
    """The figures' rows: the scope's areas and the units holding its work (a county of several counts the
    warnings its centre holds, placed at no station), everything for the county-wide."""
    return None if scope.county_wide else scope


@router.get("/figures/series")
def figures_series(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    start: AwareDatetime | None = None,
    end: AwareDatetime | None = None,
    step: Step = Step.DAY,
    area_id: DbId | None = None,
) -> dict[str, Any]:
    """Warnings, dissuasions and money protected per local day or ISO week (Asia/Shanghai by default),
    in the user's scope; the first and last bucket may be partial. At most 400 buckets."""
    _may_read_warnings(user)
    start_at, end_at = figure_period(services, start, end)
    areas = _figure_areas(scope, area_id)
    cuts = buckets(start_at, end_at, step, ZoneInfo(services.settings.timezone))
    return {
        "period": {"start": start_at.isoformat(), "end": end_at.isoformat()},
        "step": step.value,
        "buckets": fraud_series(session, cuts, areas, within=_within(scope)),
    }


@router.get("/people/by-phone/{phone}", tags=["people"])
def person_by_phone(services: ServicesDep, session: SessionDep, user: CurrentUser, phone: str) -> dict[str, Any]:
    """Phone → registered person (analysts and commanders; the read is recorded)."""
    from pingan.core.identifiers import InvalidIdentifier, normalize_phone
    from pingan.core.models import PersonPhone
    from pingan.fraud.queries import person_view

    require(user, *LIST_ROLES)
    try:
        normalized = normalize_phone(phone)
    except InvalidIdentifier as exc:
        raise BadInput(str(exc), field="phone") from None
    person = session.scalar(
        select(Person).join(PersonPhone, PersonPhone.person_id == Person.id).where(PersonPhone.phone == normalized)
    )
    if person is None:
        raise NotFound("未找到登记人员", field="phone")
    session.add(
        AccessLog(
            at=services.clock.now(),
            user_id=user.id,
            subject_type="person",
            subject_id=person.id,
            fields="all",
            purpose="号码落地查询",
        )
    )
    area = session.get(Area, person.station_id) if person.station_id else None
    return {**person_view(person, normalized, reveal=True), "station": area.name if area else None}
