"""The one exception tree of Pingan and the conversion of validation errors to named fields.

    PinganError               any refusal the user can act on: code, message, field, HTTP status
     ├─ Unauthorized          401 (no valid sign-in)
     ├─ Forbidden             403
     ├─ NotFound              404
     ├─ Conflict              409 (state or duplicate)
     ├─ UnsupportedMediaType  415 (the body is not in a format the endpoint reads)
     ├─ BadInput              422 (a field is wrong)
     ├─ RateLimited           429 (with `retry_after` seconds)
     ├─ Unavailable           503 (an outside service did not answer)
     └─ WorkflowError         409, or 422 when it names a field (`pingan.core.tasks`: the task's state or rules)

The API turns every one of them into `{"error": {code, message, field}}` in one place (`pingan.api.app`).
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError


class PinganError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code


class Unauthorized(PinganError):
    status = 401
    code = "unauthorized"


class NotFound(PinganError):
    status = 404
    code = "not_found"


class Forbidden(PinganError):
    status = 403
    code = "forbidden"


class Conflict(PinganError):
    status = 409
    code = "conflict"


class UnsupportedMediaType(PinganError):
    status = 415
    code = "unsupported_media_type"


class BadInput(PinganError):
    status = 422
    code = "invalid"


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


def field_of(error: Any, union_tags: frozenset[str] = frozenset()) -> str | None:
    """The dotted field a Pydantic error is about; cross-field errors carry their field themselves.

    `union_tags` are the tags of discriminated unions, which Pydantic puts into the location
    (`close.reason`) although the client never wrote them as a level: they are left out.
    """
    ctx = error.get("ctx") or {}
    named = getattr(ctx.get("error"), "field", None)
    if isinstance(named, str):
        return named
    loc = [str(part) for part in error.get("loc", ())]
    if loc[:1] == ["body"]:  # FastAPI's prefix only: a field may itself be called `body` (a reply's text)
        loc = loc[1:]
    if len(loc) > 1 and loc[0] in union_tags:
        loc = loc[1:]
    return ".".join(loc) or None


def first_problem(exc: ValidationError) -> tuple[str | None, str, str]:
    """(field, code, message) of the first error, for one-line responses."""
    err = exc.errors(include_url=False)[0]
    return field_of(err), str(err.get("type", "invalid")), str(err.get("msg", "invalid value"))
