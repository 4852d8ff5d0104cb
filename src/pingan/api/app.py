"""The FastAPI application: JSON API under /api/v1, Open311 under /open311/v2, the web UI at /."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pingan import __version__
from pingan.bootstrap import Services
from pingan.core.errors import PinganError, field_of
from pingan.core.tasks import WorkflowError

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent.parent / "web" / "static"


def error_body(code: str, message: str, field: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "field": field, **extra}}


class BodyLimit:
    """Refuse request bodies over the limit with a 413 before reading them whole."""

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
        seen = 0
        sent_error = False

        async def limited() -> Message:
            nonlocal seen, sent_error
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    sent_error = True
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            if sent_error:
                await self._too_large(send)

    async def _too_large(self, send: Send) -> None:
        body = JSONResponse(error_body("body_too_large", f"请求体超过 {self.limit} 字节上限", "body"), status_code=413)
        await send({"type": "http.response.start", "status": 413, "headers": body.raw_headers})
        await send({"type": "http.response.body", "body": body.body})


class _TooLarge(Exception):
    pass


def create_app(services: Services) -> FastAPI:
    app = FastAPI(
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
        return JSONResponse(error_body(exc.code, exc.message, exc.field), status_code=exc.status)

    @app.exception_handler(WorkflowError)
    async def _workflow(_request: Request, exc: WorkflowError) -> JSONResponse:
        status = 422 if exc.field else 409
        return JSONResponse(error_body(exc.code, exc.message, exc.field), status_code=status)

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

    @app.exception_handler(Exception)
    async def _crash(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return JSONResponse(error_body("internal_error", "服务器内部错误，已记录"), status_code=500)

    from pingan.api import core_routes, fraud_routes

    app.include_router(core_routes.router, prefix="/api/v1")
    app.include_router(fraud_routes.router, prefix="/api/v1")

    if STATIC.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC), name="static")

        @app.get("/", include_in_schema=False)
        async def _index() -> RedirectResponse:
            return RedirectResponse("/static/index.html")

    app.add_middleware(BodyLimit, limit=services.settings.max_body_bytes)
    return app
