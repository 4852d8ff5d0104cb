"""Bad input at the API's edges is a 4xx naming its field, never a 500 (the trust issue's probe findings).

Runs the desk tests' world (two stations, their officers, the county's centres) over SQLite and
PostgreSQL: ids out of the database's range, ids of rows that do not exist, NUL characters, LIKE
wildcards, bodies that are not JSON, and an unexpected error's answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pingan.core.db import Database
from tests.integration.test_desk_api import D, World, build_world

TOO_BIG = 2**63


@pytest.fixture(name="world")
def world_fixture(db: Database, tmp_path: Path) -> Iterator[World]:
    w = build_world(db, tmp_path)
    yield w
    w.client.close()
    w.services.desk.close()


def _integer(schema: dict[str, Any]) -> bool:
    """Whether a parameter's schema takes an integer (alone, optional, or as a list of them)."""
    options = schema.get("anyOf", [schema])
    return any(o.get("type") == "integer" or o.get("items", {}).get("type") == "integer" for o in options)


def _integer_parameters(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any], list[dict[str, Any]]]]:
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            parameters = operation.get("parameters", [])
            for parameter in parameters:
                if parameter["in"] in ("path", "query") and _integer(parameter.get("schema", {})):
                    yield method, path, parameter, parameters


def test_every_integer_parameter_of_every_operation_refuses_ids_beyond_the_database_with_a_422(world: World) -> None:
    document = world.client.get("/api/v1/openapi.json").json()
    tried = []
    for method, path, target, parameters in _integer_parameters(document):
        url = path
        query: dict[str, Any] = {}
        for parameter in parameters:
            value: Any = TOO_BIG if parameter is target else (1 if _integer(parameter.get("schema", {})) else "json")
            if parameter["in"] == "path":
                url = url.replace("{" + parameter["name"] + "}", str(value))
            elif parameter is target or parameter.get("required"):
                query[parameter["name"]] = value
        response = world.client.request(method.upper(), url, params=query, headers=world.staff("admin"))
        tried.append((method, path, target["name"], response.status_code))
        assert response.status_code < 500, (method, path, target["name"], response.text)
        if response.status_code == 422:
            field = response.json()["error"]["field"]
            assert field.startswith(f"{target['in']}.{target['name']}"), (method, path, response.text)
    assert len(tried) >= 30  # every desk, fraud and task id is in the document


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (f"{D}/admin/routing-rules", {"target": "station", "area_id": TOO_BIG}, "area_id"),
        (f"{D}/admin/routing-rules", {"target": "unit", "unit_id": TOO_BIG}, "unit_id"),
        ("/api/v1/notifications/read", {"ids": [1, TOO_BIG]}, "ids.1"),
        (f"{D}/pushes", {"template_id": TOO_BIG}, "template_id"),
        (f"{D}/pushes", {"title": "t", "body": "b", "kind": "weather", "area_ids": [TOO_BIG]}, "area_ids.0"),
    ],
)
def test_body_ids_beyond_the_database_are_422s_naming_the_field(
    world: World, path: str, body: dict[str, Any], field: str
) -> None:
    response = world.client.post(path, json=body, headers=world.staff("admin"))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field
