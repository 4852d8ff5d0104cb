"""API shapes shared by the routers (`XCreate` / `XUpdate` / `XPublic`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pingan.core.geo import CRS


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_at: datetime
    user: UserPublic


class TenancyPublic(BaseModel):
    code: str
    name: str
    kind: str
    """`county`, `city` or `province`."""


class UserPublic(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    unit_id: int | None
    unit_name: str | None
    unit_kind: str | None = None
    """The unit's kind (`station`, `bank`, `telecom` …): a partner's screens depend on it."""
    duties: list[str] = []
    """Clearances on top of the role (`narcotics`: 禁毒)."""
    tenancy: TenancyPublic | None = None
    """In a deployment of several counties, the county, city or province the user's unit belongs to (what
    their screens cover); null with one county, for the deployment's operator, or a unit outside every one."""


class Health(BaseModel):
    status: Literal["ok"]
    version: str
    database: str


class Point(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)


class LookupRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    crs: CRS = CRS.WGS84
    points: list[Point] = Field(min_length=1, max_length=100_000)


class LookupResult(BaseModel):
    station_id: int | None
    station: str | None


def batch_body(item_schema: str, key: str) -> dict[str, Any]:
    """The OpenAPI request body of a raw-JSON batch endpoint: a list of `item_schema`, or an object holding
    that list under `key` (the endpoint reads the body itself, to keep the good part of a bad batch)."""
    items = {"type": "array", "items": {"$ref": f"#/components/schemas/{item_schema}"}}
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"oneOf": [items, {"type": "object", "properties": {key: items}, "required": [key]}]}
                }
            },
        }
    }
