"""The one exception tree of Pingan and the conversion of validation errors to named fields.

    PinganError               any refusal the user can act on: code, message, field, HTTP status
     ├─ NotFound              404
     ├─ Forbidden             403
     ├─ Conflict              409 (state or duplicate)
     └─ BadInput              422 (a field is wrong)

`pingan.core.tasks.WorkflowError` is turned into a 409 (or 422 when it names a field) at the edge.
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


class NotFound(PinganError):
    status = 404
    code = "not_found"


class Forbidden(PinganError):
    status = 403
    code = "forbidden"


class Conflict(PinganError):
    status = 409
    code = "conflict"


class BadInput(PinganError):
    status = 422
    code = "invalid"


def field_of(error: Any, union_tags: frozenset[str] = frozenset()) -> str | None:
    """The dotted field a Pydantic error is about; cross-field errors carry their field themselves.

    `union_tags` are the tags of discriminated unions, which Pydantic puts into the location
    (`close.reason`) although the client never wrote them as a level: they are left out.
    """
    ctx = error.get("ctx") or {}
    named = getattr(ctx.get("error"), "field", None)
    if isinstance(named, str):
        return named
    loc = [str(part) for part in error.get("loc", ()) if part != "body"]
    if len(loc) > 1 and loc[0] in union_tags:
        loc = loc[1:]
    return ".".join(loc) or None


def first_problem(exc: ValidationError) -> tuple[str | None, str, str]:
    """(field, code, message) of the first error, for one-line responses."""
    err = exc.errors(include_url=False)[0]
    return field_of(err), str(err.get("type", "invalid")), str(err.get("msg", "invalid value"))
