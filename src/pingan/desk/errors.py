"""Refusals of the desk beyond the core's four (all are `PinganError`, turned into the error body at the edge)."""

from __future__ import annotations

from pingan.core.errors import PinganError


class RateLimited(PinganError):
    """Too many sends, posts or attempts in a window; `retry_after` seconds until the next one may pass."""

    status = 429
    code = "rate_limited"

    def __init__(
        self, message: str, *, field: str | None = None, code: str | None = None, retry_after: int | None = None
    ) -> None:
        super().__init__(message, field=field, code=code)
        self.retry_after = retry_after


class Unavailable(PinganError):
    """An outside service (the SMS gateway) did not answer; nothing the user did wrong."""

    status = 503
    code = "unavailable"
