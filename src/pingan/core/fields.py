"""Field types shared by every edge (path, query, body), so that a bad value is a 422 naming its field.

    DbId       an id the database can hold: 1 .. 2**63 - 1. A larger integer is not "not found": the
               drivers refuse to bind it (SQLite: OverflowError, PostgreSQL: out of range), which was a 500.
    FreeText   text a person typed: no NUL characters (PostgreSQL refuses them in text columns, SQLite
               stores them and every screen then cuts the text short).

The constraints are `annotated_types` markers rather than `pydantic.Field`, because FastAPI reads a
`Field` inside `Annotated` as the parameter's own declaration (and refuses it for a path parameter), while
plain markers reach Pydantic whatever the parameter's kind, and show in the OpenAPI document as
`minimum`/`maximum`.
"""

from __future__ import annotations

from typing import Annotated

from annotated_types import Ge, Le
from pydantic import AfterValidator

DB_ID_MAX = 2**63 - 1
"""The largest BIGINT (PostgreSQL) and INTEGER (SQLite) value."""

DbId = Annotated[int, Ge(1), Le(DB_ID_MAX)]


def refuse_nul(value: str) -> str:
    """`value` unchanged, or a ValueError (read as a 422 on the field) when it holds a NUL character."""
    if "\x00" in value:
        raise ValueError("文本不能包含空字符（NUL）")
    return value


FreeText = Annotated[str, AfterValidator(refuse_nul)]
