"""The one exception tree of Pingan and the conversion of validation errors to named fields.

    PinganError               any refusal the user can act on: code, message, field, HTTP status
     ├─ Unauthorized          401 (no valid sign-in)
     ├─ Forbidden             403
     ├─ NotFound              404
     ├─ Conflict              409 (state or duplicate)
     ├─ TooLarge              413 (a batch over its limit)
     ├─ UnsupportedMediaType  415 (the body is not in a format the endpoint reads)
     ├─ BadInput              422 (a field is wrong)
     ├─ RateLimited           429 (with `retry_after` seconds)
     ├─ Unavailable           503 (an outside service did not answer)
     └─ WorkflowError         409, or 422 when it names a field (`pingan.core.tasks`: the task's state or rules)

The API turns every one of them into `{"error": {code, message, field}}` in one place (`pingan.api.app`).
A batch (of events, openings, list rows) is not refused whole for a bad item: `validate_items` keeps the good
ones and names each bad one as a `Rejected`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self, TypeVar

from pydantic import TypeAdapter, ValidationError
from pydantic_core import ErrorDetails


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


class TooLarge(PinganError):
    status = 413
    code = "too_large"


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


@dataclass(slots=True)
class Rejected:
    """One bad item of a batch, named so that its sender can mend it (the good items are kept): where it stands
    (`index`, its place in the list from 0), the id it was sent with, and its first problem."""

    index: int
    id: str | None
    field: str | None
    code: str
    message: str
    place: ClassVar[str] = "index"
    """The key `index` goes by in the answer."""

    def as_dict(self) -> dict[str, Any]:
        return {
            self.place: self.index,
            "id": self.id,
            "error": {"code": self.code, "message": self.message, "field": self.field},
        }

    @classmethod
    def not_an_object(cls, index: int, message: str) -> Self:
        return cls(index, None, None, "not_an_object", message)

    @classmethod
    def invalid(cls, index: int, raw: Mapping[str, Any], problem: ErrorDetails) -> Self:
        """The item `raw` refused for `problem` (the first error of its validation)."""
        raw_id = raw.get("id")
        return cls(
            index,
            str(raw_id)[:128] if raw_id is not None else None,
            field_of(problem),
            str(problem["type"]),
            str(problem["msg"]),
        )


T = TypeVar("T")
R = TypeVar("R", bound=Rejected)


def validate_items(
    adapter: TypeAdapter[T], items: Iterable[tuple[int, Any]], not_an_object: str, kind: type[R]
) -> tuple[list[tuple[int, T]], list[R]]:
    """The items that validate, with their place, and each other one named as a `kind` (in the items' order):
    an item that is not an object is refused with the message `not_an_object`, another by its first problem."""
    good: list[tuple[int, T]] = []
    bad: list[R] = []
    for index, raw in items:
        if not isinstance(raw, Mapping):
            bad.append(kind.not_an_object(index, not_an_object))
            continue
        try:
            good.append((index, adapter.validate_python(raw)))
        except ValidationError as exc:
            bad.append(kind.invalid(index, raw, exc.errors(include_url=False)[0]))
    return good, bad
