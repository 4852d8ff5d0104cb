"""The GeoReport v2 edge at /open311/v2: every resource as ``.xml`` or ``.json``, errors as the spec's
``errors/error`` list with 400, 403 or 404 (and 429/503 when the desk says so), never a Pingan error body.

    GET  /open311/v2/discovery.{xml,json}
    GET  /open311/v2/services.{xml,json}
    GET  /open311/v2/services/{service_code}.{xml,json}
    POST /open311/v2/requests.{xml,json}          (application/x-www-form-urlencoded, api_key required)
    GET  /open311/v2/requests.{xml,json}
    GET  /open311/v2/requests/{service_request_id}.{xml,json}
    GET  /open311/v2/tokens/{token}.{xml,json}

`jurisdiction_id` is accepted and ignored: one installation serves one county.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from pingan.bootstrap import Services
from pingan.desk.open311.catalog import SERVICES, service
from pingan.desk.open311.format import (
    FORMATS,
    MEDIA_TYPES,
    Format,
    discovery,
    errors_document,
    render,
    service_definition,
    service_entry,
)
from pingan.desk.open311.post import Open311Error, not_found, parse_post
from pingan.desk.open311.service import Open311Service
from pingan.desk.rules.county import DeskRules

log = logging.getLogger(__name__)

PREFIX = "/open311/v2"

_CONTACT = "县公安局情报指挥中心（平安 E警通）"
_KEY_SERVICE = "提交诉求须持 api_key：请向县公安局申请，由管理员用 `pingan open311-key create` 发放。"


class _FormatError(Exception):
    pass


def _fmt(raw: str) -> Format:
    fmt = FORMATS.get(raw.lower())
    if fmt is None:
        raise _FormatError(raw)
    return fmt


def _suffix(path: str) -> Format:
    tail = path.rsplit("/", 1)[-1]
    return FORMATS.get(tail.rsplit(".", 1)[-1].lower(), "xml") if "." in tail else "xml"


def respond(fmt: Format, root: str, value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(render(fmt, root, value), status_code=status, media_type=MEDIA_TYPES[fmt], headers=headers)


def error_response(fmt: Format, exc: Open311Error) -> Response:
    return respond(fmt, "errors", errors_document(exc.errors), exc.status, exc.headers or None)


class _Open311Route(APIRoute):
    """Answers every failure of its endpoint in the spec's format, in the format the path asked for."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except Open311Error as exc:
                return error_response(_suffix(request.url.path), exc)
            except _FormatError as exc:
                return respond(
                    "xml", "errors", errors_document([(404, f"不支持的格式 {exc}，请用 .xml 或 .json")]), 404
                )
            except Exception:
                log.exception("open311: %s %s failed", request.method, request.url.path)
                return respond(
                    _suffix(request.url.path), "errors", errors_document([(500, "服务器内部错误，已记录")]), 500
                )

        return guarded


router = APIRouter(prefix=PREFIX, tags=["open311"], route_class=_Open311Route)


def _service(request: Request) -> Open311Service:
    found = getattr(request.app.state, "open311", None)
    if found is None:
        services: Services = request.app.state.services
        found = request.app.state.open311 = Open311Service(
            services.db, services.clock, services.desk, services.rules.section(DeskRules)
        )
    assert isinstance(found, Open311Service)
    return found


def _params(request: Request) -> dict[str, list[str]]:
    params: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        params.setdefault(key, []).append(value)
    return params


def _endpoint_url(request: Request) -> str:
    public = request.app.state.services.settings.desk_public_url
    base = str(public).rstrip("/") if public else str(request.base_url).rstrip("/")
    return base + PREFIX


# -- the resources -------------------------------------------------------------------------------


@router.get("/discovery.{fmt}", summary="Service discovery")
def get_discovery(request: Request, fmt: str) -> Response:
    doc = discovery(_endpoint_url(request), contact=_CONTACT, key_service=_KEY_SERVICE)
    return respond(_fmt(fmt), "discovery", doc)


@router.get("/services.{fmt}", summary="GET Service List")
def get_services(fmt: str) -> Response:
    return respond(_fmt(fmt), "services", [service_entry(s) for s in SERVICES])


@router.get("/services/{service_code}.{fmt}", summary="GET Service Definition")
def get_service_definition(service_code: str, fmt: str) -> Response:
    out = _fmt(fmt)
    svc = service(service_code)
    if svc is None:
        raise not_found(f"service_code {service_code[:64]} 不存在")
    return respond(out, "service_definition", service_definition(svc))


async def _form(request: Request) -> dict[str, list[str]]:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        raise Open311Error(400, [(400, "请以 application/x-www-form-urlencoded 表单提交")])
    try:
        form = await request.form(max_files=0, max_fields=200)
    except Exception as exc:  # starlette's own parse errors
        raise Open311Error(400, [(400, f"表单格式错误：{getattr(exc, 'detail', exc)}")]) from None
    try:
        fields: dict[str, list[str]] = {}
        for key, value in form.multi_items():
            if not isinstance(value, UploadFile):
                fields.setdefault(key, []).append(value)
        return fields
    finally:
        await form.close()


@router.post("/requests.{fmt}", summary="POST Service Request")
async def post_request(request: Request, fmt: str) -> Response:
    out = _fmt(fmt)
    fields = await _form(request)
    open311 = _service(request)
    key = next((v for v in fields.get("api_key", []) if v.strip()), None) or request.query_params.get("api_key")
    key_id = await run_in_threadpool(open311.check_key, key)
    form = parse_post(fields)
    created = await run_in_threadpool(open311.post, key_id, form)
    return respond(out, "service_requests", created)


@router.get("/requests.{fmt}", summary="GET Service Requests")
def get_requests(request: Request, fmt: str) -> Response:
    out = _fmt(fmt)
    return respond(out, "service_requests", _service(request).requests(_params(request)))


@router.get("/requests/{service_request_id}.{fmt}", summary="GET Service Request")
def get_request(request: Request, service_request_id: str, fmt: str) -> Response:
    out = _fmt(fmt)
    return respond(out, "service_requests", _service(request).request(service_request_id))


@router.get("/tokens/{token}.{fmt}", summary="GET service_request_id from a token")
def get_token(request: Request, token: str, fmt: str) -> Response:
    out = _fmt(fmt)
    return respond(out, "service_requests", _service(request).token(token))


def register(app: FastAPI) -> None:
    """Mount /open311/v2 and answer its errors (and its unknown paths) in the spec's format."""
    if getattr(app.state, "open311_registered", False):
        return
    app.state.open311_registered = True
    app.include_router(router)
    patterns = [r.path_regex for r in router.routes if hasattr(r, "path_regex")]

    @app.api_route(PREFIX + "/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    def _unknown(request: Request, rest: str) -> Response:
        fmt = _suffix(request.url.path)
        if any(p.match(request.url.path) for p in patterns):
            return respond(fmt, "errors", errors_document([(405, f"不支持 {request.method} 方法")]), 405)
        return respond(fmt, "errors", errors_document([(404, f"没有资源 {request.url.path}")]), 404)
