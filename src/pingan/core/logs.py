"""Log lines that can be followed through a request: the request id, and JSON lines for log collectors.

The id lives in a context variable that the HTTP edge sets for each request (`pingan.api.observability`);
a filter on every handler copies it onto each record, so that lines written by any module, uvicorn's
access line included, carry it without being passed it.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS

REQUEST_ID: ContextVar[str | None] = ContextVar("pingan_request_id", default=None)
REQUEST_ID_HEADER = "X-Request-ID"
MAX_REQUEST_ID = 64
# What a proxy or a client may hand us as an id: it goes into every log line and back in a header, so no
# spaces, quotes or control characters (a forged line break would forge a log line).
_REQUEST_ID = re.compile(rf"[A-Za-z0-9._:\-]{{1,{MAX_REQUEST_ID}}}")

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s"


def request_id_from(value: str | None) -> str:
    """The caller's id when it is a short token of safe characters, else a fresh one."""
    if value and _REQUEST_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Puts the current request's id (or "-" outside a request) on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get() or "-"
        return True


def logging_config(*, json_lines: bool, level: str = "INFO") -> dict[str, Any]:
    """A `logging.config.dictConfig` document for the server and the workers (uvicorn takes it as its
    `log_config`, and applies it in each worker process): one handler on stderr, JSON or text."""
    formatter: dict[str, Any] = (
        {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": JSON_FIELDS,
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "json_ensure_ascii": False,
            # uvicorn adds a coloured copy of some messages as an extra field: noise in a JSON line.
            "reserved_attrs": [*RESERVED_ATTRS, "color_message"],
        }
        if json_lines
        else {"format": TEXT_FORMAT}
    )
    level = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"default": formatter},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "default",
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            # uvicorn's own loggers keep their names but write through the one handler above.
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.access": {"handlers": [], "level": level, "propagate": True},
        },
    }
