"""Operations at the HTTP edge: liveness and readiness, Prometheus metrics, the request id.

Metrics (`GET /metrics`, Prometheus text format):

- `pingan_http_requests_total{method, route, status}` and `pingan_http_request_duration_seconds{method,
  route}`: the route is the template (`/api/v1/tasks/{task_id}`), never the raw path, so ids do not grow
  the series; a path that matches no route is counted as `unmatched`.
- `pingan_outbox_messages{kind, state}`, `pingan_tasks_open{kind}`, `pingan_tasks_overdue{kind}`: read
  from the database at each scrape, so every process reports the same numbers.

With `pingan serve --workers N`, each request is counted by the process that served it; the CLI then sets
`PROMETHEUS_MULTIPROC_DIR` to a fresh folder before the workers start, the processes write their counts
there, and any of them answers a scrape with the sum over all of them (prometheus-client's multiprocess
mode). Under a single process the counts stay in memory.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pingan.bootstrap import Services
from pingan.core.logs import REQUEST_ID, request_id_from
from pingan.core.models import Task
from pingan.core.outbox import outbox_status

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# From a fast read (~1 ms) to a slow report; the desk's post p99 sits in the tens of ms.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
UNMATCHED = "unmatched"


class HttpMetrics:
    """The request counters of one app. In a private registry, so that tests can build many apps in one
    process; in multiprocess mode the values go to the shared folder whatever the registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "pingan_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "pingan_http_request_duration_seconds",
            "Time from a request's arrival to the end of its response, by method and route template.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        # The labelled children, looked up once: `labels()` takes a lock and builds a key on every call.
        self._counters: dict[tuple[str, str, int], Any] = {}
        self._histograms: dict[tuple[str, str], Any] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        counter = self._counters.get((method, route, status))
        if counter is None:
            counter = self._counters[(method, route, status)] = self.requests.labels(method, route, str(status))
        histogram = self._histograms.get((method, route))
        if histogram is None:
            histogram = self._histograms[(method, route)] = self.latency.labels(method, route)
        counter.inc()
        histogram.observe(seconds)


class WorkCollector(Collector):
    """The outbox and the task engine's queues, counted in the database when scraped."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def collect(self) -> Iterator[Any]:
        up = GaugeMetricFamily("pingan_database_up", "1 if the last scrape could read the database.")
        try:
            families = list(self._families())
        except SQLAlchemyError:
            log.warning("metrics: the database did not answer", exc_info=True)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _families(self) -> Iterable[GaugeMetricFamily]:
        outbox = GaugeMetricFamily("pingan_outbox_messages", "Outbox rows by kind and state.", labels=["kind", "state"])
        opened = GaugeMetricFamily("pingan_tasks_open", "Open tasks by kind.", labels=["kind"])
        overdue = GaugeMetricFamily(
            "pingan_tasks_overdue", "Open tasks past a deadline that counts, by kind.", labels=["kind"]
        )
        tasks = self.services.tasks
        now = self.services.clock.now()
        with self.services.db.sessions() as session:
            for row in outbox_status(session):
                outbox.add_metric([row.kind, row.state.value], row.count)
            open_by_kind = _by_kind(session, Task.closed_at.is_(None))
            late_by_kind = _by_kind(session, tasks.overdue_clause(now))
        # Every registered kind has its series, at 0 when it has no task: an alert on "overdue > 0" needs one.
        for kind in sorted(tasks.workflows):
            opened.add_metric([kind], open_by_kind.get(kind, 0))
            overdue.add_metric([kind], late_by_kind.get(kind, 0))
        return (outbox, opened, overdue)


def _by_kind(session: Session, where: ColumnElement[bool]) -> dict[str, int]:
    rows = session.execute(select(Task.kind, func.count()).where(where).group_by(Task.kind))
    return {kind: int(count) for kind, count in rows}


def _route_of(scope: Scope) -> str:
    """The template of the route that answered, in full (`/api/v1/tasks/{task_id}`).

    The router leaves in the scope the route it chose, whose template lacks the prefix of the router it was
    included with; the prefix is the literal head of the path, as many segments before the template's own.
    """
    route = scope.get("route")
    template = getattr(route, "path", None)
    if not isinstance(template, str):
        return UNMATCHED
    path: str = scope["path"]
    regex = getattr(route, "path_regex", None)
    if regex is None or regex.match(path):  # a mount, or a route of the app itself: its template is whole
        return template or "/"
    parts = path.split("/")
    depth = template.count("/")
    return "/".join(parts[: max(1, len(parts) - depth)]) + template


class Observe:
    """The request id and the request metrics, as a plain ASGI middleware (no per-request task or body
    copying, unlike Starlette's BaseHTTPMiddleware): a few microseconds on every request."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = None
        for name, value in scope.get("headers") or ():
            if name == b"x-request-id":
                given = value.decode("latin-1")
                break
        request_id = request_id_from(given)
        echoed = (b"x-request-id", request_id.encode())
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = 500  # what the server sends if the app fails before starting a response

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), echoed]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self.metrics.observe(scope["method"], _route_of(scope), status, time.perf_counter() - started)
        # Reset only on the normal path: after a crash the server's error handler, outside this middleware,
        # still logs the failure in this request's task, and its line should carry the id too.
        REQUEST_ID.reset(token)


def install(app: FastAPI, services: Services) -> None:
    """Mount the health probes and `/metrics`, and wrap the app in `Observe` (call it last, so that the
    middleware is the outermost and sees every answer, a 413 of the body limit included)."""
    metrics = HttpMetrics()
    work = WorkCollector(services)
    app.include_router(_probes(services), prefix="/api/v1")

    @app.get("/metrics", include_in_schema=False)
    def _metrics() -> Response:
        if os.environ.get(MULTIPROC_ENV):
            registry = CollectorRegistry()
            MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # the library leaves it unannotated
        else:
            registry = CollectorRegistry()
            registry.register(_Forward(metrics.registry))
        registry.register(work)
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    app.add_middleware(Observe, metrics=metrics)


class _Forward(Collector):
    """The app's own counters, in the registry of one scrape."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterator[Any]:
        yield from self.registry.collect()


def _probes(services: Services) -> APIRouter:
    from pingan.api.app import error_body
    from pingan.migrate import current_revisions, head_revisions

    router = APIRouter(tags=["system"])

    @router.get("/health/live")
    def live() -> dict[str, str]:
        """Open: the process answers (it does not look at the database; a restart would not mend that)."""
        return {"status": "ok"}

    @router.get(
        "/health/ready",
        responses={503: {"description": "the database does not answer, or its schema is not at the head"}},
    )
    def ready(_request: Request) -> JSONResponse:
        """Open: the database answers and its schema is at the migrations' head; 503 otherwise, so that a
        load balancer sends no traffic to a process that could only fail."""
        head = sorted(head_revisions())
        try:
            current = sorted(current_revisions(services.db))
        except SQLAlchemyError as exc:
            log.warning("readiness: the database did not answer: %s", exc.__class__.__name__)
            return JSONResponse(error_body("database_unavailable", "数据库无响应", "database"), status_code=503)
        if current != head:
            return JSONResponse(
                error_body(
                    "schema_outdated",
                    "数据库结构不是最新版本，请运行 pingan init",
                    "schema",
                    revision=current,
                    head=head,
                ),
                status_code=503,
            )
        return JSONResponse({"status": "ok", "revision": current, "database": services.db.engine.dialect.name})

    return router
