"""Exports: every list and figure table of the staff UI as a CSV or XLSX file.

Each export endpoint takes its list's own endpoint as a dependency, so it has exactly that list's filters,
its scope and its masking (the rows are the list's answers, never a second query), and adds `format`.
A list's export holds the whole list, not one page: the list is read page after page (by `offset`, or by
`before_id` for the newest-first queues; `limit` is ignored) into a spooled file, at most
`MAX_EXPORT_ROWS` rows (the response then says `X-Export-Truncated: 1`), and sent from that file. Every
export is recorded in the audit log (`GET /audit/events?kind=export`): who, which list, the filters, the
number of rows.
"""

from __future__ import annotations

import inspect
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, get_type_hints
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse
from starlette.background import BackgroundTask

from pingan.api.deps import ClientAddress, CurrentUser, ServicesDep, SessionDep
from pingan.api.routes import analysis as analysis_routes
from pingan.api.routes import core as core_routes
from pingan.api.routes import dangers as danger_routes
from pingan.api.routes import desk as desk_routes
from pingan.api.routes import dispatch as dispatch_routes
from pingan.api.routes import disputes as dispute_routes
from pingan.api.routes import fraud as fraud_routes
from pingan.api.routes import ranking as ranking_routes
from pingan.api.routes import rehab as rehab_routes
from pingan.api.routes import search as search_routes
from pingan.api.routes import users as users_routes
from pingan.api.routes import verify as verify_routes
from pingan.core.exports import MAX_EXPORT_ROWS, MEDIA_TYPES, SHANGHAI, Column, ExportFormat, Sheet, write_to
from pingan.core.identity import record_auth_event
from pingan.core.models import AuthEventKind, User

router = APIRouter(prefix="/exports", tags=["exports"])

FormatQuery = Annotated[ExportFormat, Query(alias="format", description="csv or xlsx")]
FILE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file",
        "content": {MEDIA_TYPES[ExportFormat.CSV]: {}, MEDIA_TYPES[ExportFormat.XLSX]: {}},
    }
}


def _c(key: str, heading: str, value: Callable[[Mapping[str, Any]], Any] | None = None) -> Column:
    return Column(key, heading, value)


def _ratio(key: str) -> Callable[[Mapping[str, Any]], Any]:
    def read(row: Mapping[str, Any]) -> Any:
        v = row.get(key)
        return f"{float(v) * 100:.1f}%" if isinstance(v, int | float) else ""

    return read


TASK_COLUMNS = [
    _c("id", "任务编号"),
    _c("kind_name", "类型"),
    _c("level", "等级"),
    _c("title", "标题"),
    _c("status_name", "状态"),
    _c("unit", "处理单位"),
    _c("assignee", "承办人"),
    _c("due_step_name", "当前环节"),
    _c("due_at", "时限"),
    _c("overdue", "已超时"),
    _c("escalation_name", "升级"),
    _c("created_at", "下发时间"),
    _c("closed_at", "办结时间"),
]
WARNING_COLUMNS = [
    _c("id", "预警编号"),
    _c("level_name", "等级"),
    _c("status_name", "状态"),
    _c("fraud_type", "诈骗类型"),
    _c("person.name", "姓名"),
    _c("person.phone", "手机号"),
    _c("station", "派出所"),
    _c("unit", "处置单位"),
    _c("event_count", "线索数"),
    _c("reasons", "研判理由", lambda r: "；".join(str(x.get("text", "")) for x in r.get("reasons") or [])),
    _c("task.status_name", "任务状态"),
    _c("outcome", "结果"),
    _c("amount_protected_yuan", "挽回金额（元）"),
    _c("created_at", "预警时间"),
]
REQUEST_COLUMNS = [
    _c("id", "诉求编号"),
    _c("category_name", "类别"),
    _c("excerpt", "内容摘要"),
    _c("phone", "手机号"),
    _c("status_name", "状态"),
    _c("unit", "处理单位"),
    _c("station", "辖区"),
    _c("created_at", "提交时间"),
    _c("reply_due_at", "答复时限"),
    _c("overdue", "已超时"),
    _c("first_reply_at", "首次答复"),
    _c("closed_at", "办结时间"),
    _c("rating", "评价"),
]
INDICATOR_COLUMNS = [
    _c("id", "编号"),
    _c("kind", "类型"),
    _c("value", "值（规范化）"),
    _c("fraud_type", "诈骗类型"),
    _c("source", "来源"),
    _c("note", "备注"),
    _c("hits", "命中次数"),
    _c("created_at", "添加时间"),
    _c("expires_at", "失效时间"),
    _c("active", "有效"),
]
ACCESS_COLUMNS = [
    _c("at", "时间"),
    _c("user_name", "查看人"),
    _c("username", "账号"),
    _c("unit_name", "单位"),
    _c("subject_type", "对象类型"),
    _c("subject_id", "对象编号"),
    _c("fields", "字段"),
    _c("purpose", "用途"),
]
USER_COLUMNS = [
    _c("username", "登录名"),
    _c("display_name", "姓名"),
    _c("role", "角色"),
    _c("unit_name", "单位"),
    _c("active", "启用"),
    _c("created_at", "创建时间"),
]
LOAD_COLUMNS = [
    _c("unit", "单位"),
    _c("name", "民警"),
    _c("username", "账号"),
    _c("open", "在办"),
    _c("overdue", "超时"),
]
FRAUD_FIGURE_COLUMNS = [
    _c("station", "派出所"),
    _c("warnings", "预警数"),
    _c("dissuaded", "劝阻成功"),
    _c("defrauded", "已被骗"),
    _c("protected_yuan", "挽回损失（元）"),
    _c("lost_yuan", "损失（元）"),
    _c("open", "在办"),
]
INTERCEPTION_KEYS = (
    "sim_cancelled", "bank_cards_cancelled", "cards_cancelled", "stops", "accounts_stopped", "amount_stopped_yuan",
    "freezes", "accounts_frozen", "amount_frozen_yuan", "returns", "amount_returned_yuan", "cases", "loss_yuan",
    "cases_linked", "cases_solved", "suspects", "suspects_caught",
)  # fmt: skip
_DESK_FIGURES = [
    _c("requests", "诉求数"),
    _c("replied", "已答复"),
    _c("replied_on_time", "按时答复"),
    _c("reply_timeliness", "答复及时率", _ratio("reply_timeliness")),
    _c("resolved", "已办结"),
    _c("resolution_rate", "办结率", _ratio("resolution_rate")),
    _c("ratings", "评价数"),
    _c("mean_rating", "平均评分"),
    _c("satisfaction", "满意率", _ratio("satisfaction")),
    _c("score", "综合得分"),
]
DESK_UNIT_COLUMNS = [_c("rank", "排名"), _c("unit", "单位"), *_DESK_FIGURES]
DESK_OFFICER_COLUMNS = [_c("rank", "排名"), _c("name", "民警"), *_DESK_FIGURES]
REHAB_COLUMNS = [
    _c("source_id", "决定书编号"),
    _c("kind_name", "类型"),
    _c("name", "姓名"),
    _c("id_number", "身份证号"),
    _c("phone", "手机号"),
    _c("unit", "派出所"),
    _c("officer", "社区民警"),
    _c("starts_on", "开始日期"),
    _c("ends_on", "结束日期"),
    _c("missed", "未按期次数"),
    _c("next_due", "下次报到/检测"),
    _c("lost", "失联"),
    _c("ended_at", "解除时间"),
]
VERIFY_ITEM_COLUMNS = [
    _c("line", "行号"),
    _c("kind", "对象"),
    _c("name", "姓名/名称"),
    _c("id_number", "身份证号"),
    _c("phone", "手机号"),
    _c("address", "地址"),
    _c("unit", "核查单位"),
    _c("task.status_name", "状态"),
    _c("task.overdue", "已超时"),
    _c("finding_name", "核查结果"),
    _c("measures", "处置措施"),
    _c("done_at", "反馈时间"),
]
DANGER_COLUMNS = [
    _c("id", "编号"),
    _c("kind_name", "类型"),
    _c("title", "隐患"),
    _c("place", "地点"),
    _c("area", "辖区"),
    _c("lead", "牵头部门"),
    _c("parts", "协办部门数"),
    _c("parts_reported", "已反馈"),
    _c("state_name", "状态"),
    _c("found_at", "发现时间"),
    _c("due_at", "整改期限"),
    _c("overdue", "已超时"),
    _c("rectified_at", "整改完成"),
]
DISPUTE_COLUMNS = [
    _c("id", "编号"),
    _c("category_name", "类别"),
    _c("title", "纠纷"),
    _c("place", "地点"),
    _c("area", "辖区"),
    _c(
        "parties",
        "当事人",
        lambda r: "；".join(
            " ".join(str(x) for x in (p.get("role_name"), p.get("name"), p.get("phone")) if x)
            for p in r.get("parties") or []
        ),
    ),
    _c("unit", "承办单位"),
    _c("mediator", "调解员"),
    _c("sessions", "调解次数"),
    _c("state_name", "状态"),
    _c("outcome", "结果"),
    _c("received_at", "受理时间"),
    _c("agreed_at", "达成协议"),
    _c("resolved_at", "化解时间"),
    _c("overdue", "已超时"),
]
SEARCH_COLUMNS = [
    _c("type", "类别"),
    _c("id", "编号"),
    _c("title", "内容"),
    _c("detail", "详情"),
    _c("station", "辖区"),
    _c("status", "状态"),
    _c("at", "时间"),
]


SPOOL_BYTES = 8 * 1024 * 1024  # a file larger than this goes to disk while it is written
CHUNK = 64 * 1024
PAGE = 1000
"""Rows read from a list at a time (the most most lists return in one request)."""
PAGED_OUT = ("limit", "offset", "before_id")


@dataclass(frozen=True)
class Export:
    """One export request: who asks, from where, in which format; `file` writes and records the file."""

    request: Request
    services: Any
    session: Any
    user: User
    address: str | None
    fmt: ExportFormat

    def file(self, what: str, title: str, columns: Sequence[Column], rows: Iterable[Mapping[str, Any]]) -> Response:
        """The file, and its line in the audit log with the number of rows: an export changes nothing else, so
        that line is all the request's transaction writes."""
        fmt = self.fmt
        filters = {k: v for k, v in self.request.query_params.multi_items() if k != "format" and k not in PAGED_OUT}
        now = self.services.clock.now()
        capped = _Capped(rows, MAX_EXPORT_ROWS)
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (closed after the response)
        try:
            count = write_to(Sheet(title, columns, capped), fmt, spool)
            size = spool.tell()
            spool.seek(0)
        except BaseException:
            spool.close()
            raise
        record_auth_event(
            self.session,
            AuthEventKind.EXPORT,
            now,
            user=self.user,
            address=self.address,
            detail={
                "what": what,
                "format": fmt.value,
                "filters": filters,
                "rows": count,
                "truncated": capped.truncated,
            },
        )
        stamp = now.astimezone(SHANGHAI).strftime("%Y%m%d-%H%M")
        name = f"{title}-{stamp}.{fmt.value}"
        ascii_name = f"{what}-{stamp}.{fmt.value}"
        headers = {
            "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}",
            "Content-Length": str(size),
            "X-Export-Rows": str(count),
            "Cache-Control": "no-store",
        }
        if capped.truncated:
            headers["X-Export-Truncated"] = "1"

        def chunks() -> Iterator[bytes]:
            while block := spool.read(CHUNK):
                yield block

        return StreamingResponse(
            chunks(), media_type=MEDIA_TYPES[fmt], headers=headers, background=BackgroundTask(spool.close)
        )


def _export(
    request: Request,
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    address: ClientAddress,
    fmt: FormatQuery,
) -> Export:
    """An export's own parameters. Each endpoint names it after its list's, so that a bad filter is named
    before a missing format, as the list itself would name it."""
    return Export(request, services, session, user, address, fmt)


ExportDep = Annotated[Export, Depends(_export)]


class _Capped:
    """The rows, stopping after `cap` (and saying so)."""

    def __init__(self, rows: Iterable[Mapping[str, Any]], cap: int) -> None:
        self.rows = rows
        self.cap = cap
        self.truncated = False

    def __iter__(self) -> Iterator[Mapping[str, Any]]:
        for n, row in enumerate(self.rows):
            if n >= self.cap:
                self.truncated = True
                return
            yield row


Reader = Callable[..., Any]


def pages_of(endpoint: Callable[..., Any]) -> Callable[..., Reader]:
    """A dependency with `endpoint`'s own parameters (its filters, the user, the scope: the list exactly as
    the screen asks for it) that gives back the list as a function of its paging, `read(limit=, offset=)` or
    `read(limit=, before_id=)`, so that an export can read every page of it."""
    hints = get_type_hints(endpoint, include_extras=True)
    signature = inspect.signature(endpoint)
    parameters = [p.replace(annotation=hints.get(p.name, p.annotation)) for p in signature.parameters.values()]

    def dependency(**kwargs: Any) -> Reader:
        def read(**paging: Any) -> Any:
            return endpoint(**{**kwargs, **paging})

        read.start = {k: kwargs.get(k) for k in ("offset", "before_id")}  # type: ignore[attr-defined]
        return read

    dependency.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=parameters, return_annotation=inspect.Signature.empty
    )
    return dependency


def by_offset(read: Reader, items: Callable[[Any], Sequence[Any]], page: int) -> Iterator[Mapping[str, Any]]:
    """Every row of an offset-paged list, from the offset the request gave."""
    offset = int(getattr(read, "start", {}).get("offset") or 0)
    while True:
        batch = items(read(limit=page, offset=offset))
        yield from _dicts(batch)
        if len(batch) < page:
            return
        offset += len(batch)


def by_id(read: Reader, items: Callable[[Any], Sequence[Any]], page: int) -> Iterator[Mapping[str, Any]]:
    """Every row of a newest-first list paged by `before_id`, from the one the request gave."""
    before = getattr(read, "start", {}).get("before_id")
    while True:
        batch = _dicts(items(read(limit=page, before_id=before)))
        yield from batch
        if len(batch) < page:
            return
        lowest = min(int(row["id"]) for row in batch)
        if before is not None and lowest >= before:
            raise RuntimeError("a list paged by before_id did not move on")  # never loop over one page
        before = lowest


def _dicts(items: Sequence[Any]) -> list[Mapping[str, Any]]:
    return [i if isinstance(i, Mapping) else i.model_dump(mode="json") for i in items]


def _items(data: Any) -> Sequence[Any]:
    if isinstance(data, Mapping):
        return list(data["items"])
    if isinstance(data, list):
        return data
    return list(data.items)


@dataclass(frozen=True)
class PagedList:
    """One list whose export is the whole list: its endpoint (its filters, scope and masking), how it pages,
    the file's name and title and its columns."""

    what: str
    """The export's URL under /exports, and the audit log's `what`."""
    title: str
    endpoint: Callable[..., Any]
    columns: Sequence[Column]
    doc: str
    paging: Callable[[Reader, Callable[[Any], Sequence[Any]], int], Iterator[Mapping[str, Any]]] = by_offset
    page_cap: int | None = None
    """A list that returns fewer rows a request than `PAGE`."""


PAGED_LISTS = (
    PagedList(
        "tasks", "任务清单", core_routes.list_tasks, TASK_COLUMNS, "The whole worklist (`GET /tasks`, same filters)."
    ),
    PagedList(
        "warnings",
        "预警队列",
        fraud_routes.get_warnings,
        WARNING_COLUMNS,
        "The whole warning queue (`GET /fraud/warnings`, same filters), masked.",
        paging=by_id,
    ),
    PagedList(
        "desk-requests",
        "群众诉求",
        desk_routes.queue,
        REQUEST_COLUMNS,
        "The desk's whole queue (`GET /desk/staff/requests`, same filters), phones and free text masked.",
        page_cap=200,  # the deadline order is paged by offset only
    ),
    PagedList(
        "indicators",
        "涉诈指标",
        fraud_routes.list_indicators,
        INDICATOR_COLUMNS,
        "The whole indicator lists (`GET /fraud/indicators`, same filters), with their hits.",
    ),
    PagedList(
        "audit-access",
        "个人信息查看记录",
        core_routes.access_log,
        ACCESS_COLUMNS,
        "The whole access log (`GET /audit/access`, same filters; admin).",
    ),
    PagedList(
        "users",
        "用户",
        users_routes.list_users,
        USER_COLUMNS,
        "Every staff account (`GET /users`, same filters; admin).",
    ),
    PagedList(
        "dangers",
        "隐患整治",
        danger_routes.list_dangers,
        DANGER_COLUMNS,
        "Every finding of `GET /command/dangers` (same filters: kind, state, area, department, overdue, text).",
    ),
    PagedList(
        "disputes",
        "矛盾纠纷",
        dispute_routes.list_disputes,
        DISPUTE_COLUMNS,
        "Every dispute of `GET /command/disputes` (same filters), parties masked as the list masks them (a "
        "`reveal=true` export is recorded in the access log as the list records it).",
    ),
    PagedList(
        "rehab-plans",
        "社区戒毒人员",
        rehab_routes.get_plans,
        REHAB_COLUMNS,
        "The people under a plan (`GET /rehab/plans`, same filters; the 禁毒 duty only), each one recorded.",
    ),
)


def _paged_export(spec: PagedList) -> Callable[..., Response]:
    def endpoint(read: Reader, export: ExportDep) -> Response:
        page = PAGE if spec.page_cap is None else min(PAGE, spec.page_cap)
        return export.file(spec.what, spec.title, spec.columns, spec.paging(read, _items, page))

    # The list's own parameters, as a dependency of this one endpoint (resolved here, not from the annotation's
    # text: the endpoint differs per list).
    read = Annotated[Reader, Depends(pages_of(spec.endpoint))]
    endpoint.__annotations__ = {**endpoint.__annotations__, "read": read}
    endpoint.__name__ = endpoint.__qualname__ = "export_" + spec.what.replace("-", "_")
    endpoint.__doc__ = spec.doc
    return endpoint


for _spec in PAGED_LISTS:
    router.add_api_route(
        f"/{_spec.what}",
        _paged_export(_spec),
        methods=["GET"],
        responses=FILE_RESPONSE,
        response_class=Response,
        description=_spec.doc,
    )


@router.get("/dispatch-load", responses=FILE_RESPONSE, response_class=Response)
def export_load(
    data: Annotated[dispatch_routes.DispatchLoad, Depends(dispatch_routes.load)],
    export: ExportDep,
) -> Response:
    """Officers' open and overdue work (`GET /dispatch/load`), one row per officer and one for the unassigned."""
    rows: list[Mapping[str, Any]] = []
    for unit in data.units:
        rows.append(
            {
                "unit": unit.unit,
                "name": "（未指派）",
                "username": "",
                "open": unit.unassigned,
                "overdue": unit.unassigned_overdue,
            }
        )
        rows.extend({"unit": unit.unit, **o.model_dump()} for o in unit.officers)
    return export.file("dispatch-load", "派单负荷", LOAD_COLUMNS, rows)


@router.get("/interception-figures", responses=FILE_RESPONSE, response_class=Response)
def export_interception_figures(
    data: Annotated[dict[str, Any], Depends(analysis_routes.get_interception)],
    export: ExportDep,
) -> Response:
    """The table of `GET /interception/figures` (same period and area): a row per station and the total (with
    the numbers blocked, which are county-wide)."""
    names: dict[str, str] = data["names"]
    columns = [
        _c("area", "辖区"),
        _c("numbers_blocked", names["numbers_blocked"]),
        *(_c(k, names[k]) for k in INTERCEPTION_KEYS),
    ]
    rows = [*data["areas"], {**data["total"], "area": "合计"}]
    return export.file("interception-figures", "打击拦截数据", columns, rows)


@router.get("/fraud-figures", responses=FILE_RESPONSE, response_class=Response)
def export_fraud_figures(
    data: Annotated[dict[str, Any], Depends(fraud_routes.figures)],
    export: ExportDep,
) -> Response:
    """The per-station table of `GET /fraud/figures` (same period and area)."""
    return export.file("fraud-figures", "反诈数据", FRAUD_FIGURE_COLUMNS, data["per_station"])


def _change(row: Mapping[str, Any]) -> str:
    change = row.get("change")
    if change is None:
        return "新"
    return f"上升{change}" if change > 0 else f"下降{-change}" if change < 0 else "持平"


def _ranking_columns(data: Mapping[str, Any]) -> list[Column]:
    """名次, 变化, 单位, 片区, 总分, then each indicator's value, the figures behind it and its points."""
    columns = [
        _c("position", "名次"),
        _c("change", "较上期", _change),
        _c("name", "单位"),
        _c("district", "片区"),
        _c("score", "总分"),
    ]
    for ind in data["indicators"]:
        name, unit = ind["name"], ind["unit"]

        def value(r: Mapping[str, Any], name: str = name, unit: str = unit) -> Any:
            v = r["cells"][name]["value"]
            if v is None:
                return ""
            if unit == "%":
                return f"{float(v) * 100:.1f}%"
            return int(v) if float(v).is_integer() else v

        def detail(r: Mapping[str, Any], name: str = name) -> Any:
            return r["cells"][name]["detail"]

        def points(r: Mapping[str, Any], name: str = name) -> Any:
            return r["cells"][name]["points"]

        columns += [
            _c(f"{name}.value", f"{ind['label']}（权重{ind['weight']:g}）", value),
            _c(f"{name}.detail", f"{ind['label']}依据", detail),
            _c(f"{name}.points", f"{ind['label']}得分", points),
        ]
    return columns


@router.get("/rankings", responses=FILE_RESPONSE, response_class=Response)
def export_ranking(
    data: Annotated[dict[str, Any], Depends(ranking_routes.get_ranking)],
    export: ExportDep,
) -> Response:
    """The table of `GET /command/rankings` (same period, board and county): positions, changes, scores and
    each indicator's value, figures and points."""
    whose = data["county"]["name"] if data.get("county") else ""
    title = f"{whose}{data['board_label']}打榜-{data['period']['key']}"
    return export.file("rankings", title, _ranking_columns(data), data["rows"])


@router.get("/desk-figures", responses=FILE_RESPONSE, response_class=Response)
def export_desk_figures(
    data: Annotated[dict[str, Any], Depends(desk_routes.stats)],
    export: ExportDep,
    table: Annotated[Literal["unit", "officer"], Query(description="Per unit or per officer.")] = "unit",
) -> Response:
    """The ranking tables of `GET /desk/stats` (same period), per unit or per officer."""
    if table == "officer":
        return export.file("desk-figures-officers", "民警评价", DESK_OFFICER_COLUMNS, data["per_officer"])
    return export.file("desk-figures", "单位评价", DESK_UNIT_COLUMNS, data["per_unit"])


@router.get("/search", responses=FILE_RESPONSE, response_class=Response)
def export_search(
    data: Annotated[search_routes.SearchResults, Depends(search_routes.search)],
    export: ExportDep,
) -> Response:
    """The hits of `GET /search` (same query), masked."""
    return export.file("search", "检索结果", SEARCH_COLUMNS, _dicts(data.items))


@router.get("/verify-items", responses=FILE_RESPONSE, response_class=Response)
def export_verify_items(
    data: Annotated[dict[str, Any], Depends(verify_routes.get_items)],
    export: ExportDep,
) -> Response:
    """A verification list's rows (`GET /verify/lists/{list_id}/items`, same filters), masked."""
    return export.file("verify-items", "核查清单", VERIFY_ITEM_COLUMNS, data["items"])
