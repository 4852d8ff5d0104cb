"""The FastAPI application: JSON API under /api/v1, Open311 under /open311/v2, the web UI at /."""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from pingan import __version__
from pingan.bootstrap import Services
from pingan.core.errors import PinganError, RateLimited, field_of
from pingan.core.gcpause import settle_heap

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent.parent / "web" / "static"


def error_body(code: str, message: str, field: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "field": field, **extra}}


class BodyLimit:
    """Refuse request bodies over the limit with a 413, before any handler reads them."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._too_large(send)
            return
        # Without a declared length, read the body first (it is bounded by the limit) so that an
        # oversized one is refused here as a 413, not half-way through a handler's own parsing.
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.limit:
                await self._too_large(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, send: Send) -> None:
        body = JSONResponse(error_body("body_too_large", f"请求体超过 {self.limit} 字节上限", "body"), status_code=413)
        await send({"type": "http.response.start", "status": 413, "headers": body.raw_headers})
        await send({"type": "http.response.body", "body": body.body})


class Crashes:
    """An unexpected error answers a clean 500 in the one error shape, and the connection stays usable.

    Starlette's `ServerErrorMiddleware` (where an `exception_handler(Exception)` is installed) sends the
    handler's response and then re-raises, so that servers can log; uvicorn, seeing the exception after a
    response started, closes the connection, and a keep-alive client's next request fails. Caught here,
    the error is logged once and the server sees a finished request. An error after the response started
    cannot be answered any more: it goes on to the server, which must close the half-sent response.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            if started:
                raise
            log.exception("unhandled error: %s %s", scope.get("method"), scope.get("path"))
            response = JSONResponse(error_body("internal_error", "服务器内部错误，已记录"), status_code=500)
            await response(scope, receive, send)


# Some hosts map .js to text/plain, which browsers refuse for modules.
mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("text/css", ".css")


class _RevalidatedStatic(StaticFiles):
    """Static files that browsers revalidate, so an upgrade never mixes old and new modules.

    `image_origins` (the bureau's tile server, when it is not this server) are added to the pages' image
    policy, which otherwise allows this server only.
    """

    def __init__(self, *args: Any, image_origins: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.image_origins = image_origins

    def file_response(self, full_path: Any, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(full_path, *args, **kwargs)
        if self.image_origins and str(full_path).endswith(".html"):
            page = Path(full_path).read_text(encoding="utf-8")
            allowed = "img-src 'self' " + " ".join(self.image_origins)
            # Always the whole page (never a 304): a page cached before the setting changed has the old policy.
            response = HTMLResponse(page.replace("img-src 'self'", allowed, 1))
        response.headers["Cache-Control"] = "no-cache"
        return response


@asynccontextmanager
async def _lifespan(_app: FastAPI) -> AsyncIterator[None]:
    settle_heap()  # the long-lived start-up objects leave the collector's walks (see pingan.core.gcpause)
    yield


def app_from_environment() -> FastAPI:
    """The app with services built from the environment's settings: the factory each process of
    `pingan serve --workers N` (or `uvicorn --factory`) calls."""
    from pingan.bootstrap import bootstrap
    from pingan.core.settings import Settings

    return create_app(bootstrap(Settings()))


def create_app(services: Services) -> FastAPI:
    app = FastAPI(
        lifespan=_lifespan,
        title="Pingan 平安 API",
        version=__version__,
        description='县级公安及合作单位闭环平台。JSON API；错误统一为 `{"error": {code, message, field}}`。',
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
        swagger_ui_parameters={"syntaxHighlight": False},
    )
    app.state.services = services

    @app.exception_handler(PinganError)
    async def _pingan(_request: Request, exc: PinganError) -> JSONResponse:
        """Every refusal of the core's exception tree, in one shape; a rate limit says when to come back."""
        retry = getattr(exc, "retry_after", None) if isinstance(exc, RateLimited) else None
        headers = {"Retry-After": str(max(1, retry))} if retry else None
        return JSONResponse(error_body(exc.code, exc.message, exc.field), status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {}
        fields = [{"field": field_of(e), "code": str(e.get("type")), "message": str(e.get("msg"))} for e in errors[:20]]
        return JSONResponse(
            error_body(
                str(first.get("type", "invalid")),
                str(first.get("msg", "invalid request")),
                field_of(first),
                details=fields,
            ),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized", 403: "forbidden"}.get(
            exc.status_code, "http_error"
        )
        return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(StaleDataError)
    async def _stale(_request: Request, _exc: StaleDataError) -> JSONResponse:
        return JSONResponse(error_body("conflict", "记录已被他人或系统更新，请刷新后重试"), status_code=409)

    from pingan.api.routes import alarms as alarm_routes
    from pingan.api.routes import analysis as analysis_routes
    from pingan.api.routes import backoffice
    from pingan.api.routes import cards as cards_routes
    from pingan.api.routes import core as core_routes
    from pingan.api.routes import dangers as danger_routes
    from pingan.api.routes import desk as desk_routes
    from pingan.api.routes import disputes as dispute_routes
    from pingan.api.routes import fraud as fraud_routes
    from pingan.api.routes import map as map_routes
    from pingan.api.routes import money as money_routes
    from pingan.api.routes import open311 as open311_routes
    from pingan.api.routes import patrol as patrol_routes
    from pingan.api.routes import payments as payment_routes
    from pingan.api.routes import ranking as ranking_routes
    from pingan.api.routes import rehab as rehab_routes
    from pingan.api.routes import reports as report_routes
    from pingan.api.routes import tracking as tracking_routes
    from pingan.api.routes import traffic as traffic_routes
    from pingan.api.routes import verify as verify_routes

    app.include_router(core_routes.router, prefix="/api/v1")
    app.include_router(fraud_routes.router, prefix="/api/v1")
    app.include_router(danger_routes.router, prefix="/api/v1")
    app.include_router(dispute_routes.router, prefix="/api/v1")
    app.include_router(money_routes.router, prefix="/api/v1")
    backoffice.register(app)
    app.include_router(map_routes.router, prefix="/api/v1")
    app.include_router(cards_routes.router, prefix="/api/v1")
    app.include_router(tracking_routes.router, prefix="/api/v1")
    app.include_router(patrol_routes.router, prefix="/api/v1")
    app.include_router(alarm_routes.router, prefix="/api/v1")
    app.include_router(verify_routes.router, prefix="/api/v1")
    app.include_router(rehab_routes.router, prefix="/api/v1")
    app.include_router(traffic_routes.router, prefix="/api/v1")
    app.include_router(report_routes.router, prefix="/api/v1")
    desk_routes.register(app)
    open311_routes.register(app)
    payment_routes.register(app)
    ranking_routes.register(app)
    analysis_routes.register(app)

    _document_intake_schemas(app)

    if STATIC.is_dir():
        tiles = services.settings.map_tile_origin
        app.mount(
            "/static", _RevalidatedStatic(directory=STATIC, image_origins=(tiles,) if tiles else ()), name="static"
        )

        @app.get("/", include_in_schema=False)
        async def _index() -> RedirectResponse:
            return RedirectResponse("/static/index.html")

        @app.get("/m", include_in_schema=False)
        async def _resident() -> RedirectResponse:
            """The residents' mobile page (E警通)."""
            return RedirectResponse("/static/resident/index.html")

    app.add_middleware(BodyLimit, limit=services.settings.max_body_bytes)
    # X-Forwarded-For is believed only from the configured proxies (none by default); behind them the client
    # address (`pingan.api.deps.client_address`) is the forwarded one, taken right to left past trusted hops.
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(services.settings.trusted_proxies))
    app.add_middleware(Crashes)  # outside BodyLimit and the proxy headers: it answers for them too

    from pingan.api import observability

    observability.install(app, services)  # last: its middleware is the outermost
    return app


def _document_intake_schemas(app: FastAPI) -> None:
    """Bodies read raw (intake for speed and per-item errors, desk posts that may be multipart) still
    belong in the document: their schemas are added to its components."""
    from pydantic import BaseModel

    from pingan.command.patrol.schemas import PatrolUnitIn, PositionIn
    from pingan.desk.schemas import DeskRequestCreate
    from pingan.fraud.schemas import EventIn
    from pingan.money.cards.schemas import OpeningIn
    from pingan.tracking.schemas import DetectionIn, StationRow, StationStatusIn, TagRow

    raw_bodies: tuple[type[BaseModel], ...] = (
        EventIn, DeskRequestCreate, OpeningIn, PatrolUnitIn, PositionIn, DetectionIn, TagRow, StationRow, StationStatusIn
    )  # fmt: skip
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for model in raw_bodies:
                body = model.model_json_schema(ref_template="#/components/schemas/{model}")
                components.update(body.pop("$defs", {}))
                components[model.__name__] = body
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]
