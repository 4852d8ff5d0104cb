"""County rules (per-county settings): a registry of TOML tables, each validated by its capability's model.

The core knows no table. Each capability registers its own tables, each with the pydantic model that
validates it and the packaged defaults file it ships; `bootstrap` builds the registry from the list of
capabilities. A county file named by `PINGAN_RULES_FILE` is laid over those defaults table by table,
key by key (`_overlay`); a table it omits keeps its defaults whole. Bad files fail loudly at start-up:
an unknown table is refused with the known ones listed, a bad value with its `table.key` location.

    registry = RulesRegistry()
    registry.register(files("pingan.fraud") / "rules.toml", dissuasion=DissuasionRules, grading=GradingRules)
    rules = registry.load(county_file)
    rules.section(DissuasionRules).retry_minutes

A section is looked up by its model class, so the answer is typed without a cast and a table name
cannot be misspelt at a call site.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model
from pydantic_core import InitErrorDetails, PydanticCustomError

M = TypeVar("M", bound=BaseModel)

_TABLE_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")
_TITLE = "CountyRules"


class RulesModel(BaseModel):
    """The base of every rules model: a misspelt key is refused rather than ignored, and rules never change."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class RulesRegistryError(Exception):
    """A capability registered its tables wrongly: a programming error, raised while the registry is built."""


@dataclass(frozen=True)
class _Section:
    table: str
    model: type[BaseModel]
    defaults: Mapping[str, Any]
    source: str
    """Where the defaults came from, named in registration errors."""


class CountyRules:
    """The validated rules of one county: one model instance per registered table."""

    def __init__(self, sections: Mapping[type[BaseModel], BaseModel]) -> None:
        self._sections = dict(sections)

    def section(self, model: type[M]) -> M:
        """The table validated by `model`; LookupError when no capability registered that model."""
        value = self._sections.get(model)
        if not isinstance(value, model):
            known = ", ".join(sorted(m.__name__ for m in self._sections))
            raise LookupError(f"no county rules table is registered for {model.__name__}; registered: {known}")
        return value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CountyRules) and self._sections == other._sections

    def __repr__(self) -> str:
        return f"CountyRules({', '.join(sorted(m.__name__ for m in self._sections))})"


class RulesRegistry:
    """The tables a county rules file may hold; each capability adds its own before the rules are loaded."""

    def __init__(self) -> None:
        self._sections: dict[str, _Section] = {}

    @property
    def tables(self) -> tuple[str, ...]:
        return tuple(sorted(self._sections))

    def register(self, defaults: Traversable | Path | None = None, /, **models: type[BaseModel]) -> None:
        """Register tables (`table=Model`) with the packaged TOML file holding their defaults.

        The defaults file must hold exactly the tables registered with it, so that a default nobody
        validates cannot hide in it. Without a file, each table's defaults are its model's own.
        """
        source = str(defaults) if defaults is not None else "no defaults file"
        if not models:
            raise RulesRegistryError(f"register() names no table ({source})")
        tables: dict[str, Any] = tomllib.loads(defaults.read_text(encoding="utf-8")) if defaults is not None else {}
        if defaults is not None and set(tables) != set(models):
            raise RulesRegistryError(
                f"{source} holds the tables {sorted(tables)} but registers {sorted(models)}: they must be the same"
            )
        for table, model in models.items():
            self._check(table, model, source)
            body = tables.get(table, {})
            if not isinstance(body, dict):
                raise RulesRegistryError(f"{source}: [{table}] must be a table, not {type(body).__name__}")
            self._sections[table] = _Section(table, model, body, source)

    def _check(self, table: str, model: type[BaseModel], source: str) -> None:
        if not _TABLE_NAME.match(table):
            raise RulesRegistryError(f"table name {table!r} ({source}): use lower case letters, digits and _")
        if table in self._sections:
            raise RulesRegistryError(
                f"table [{table}] is registered twice: by {self._sections[table].source} and by {source}"
            )
        if model.model_config.get("extra") != "forbid":
            # A model that ignores unknown keys would let a misspelt county setting pass unnoticed.
            raise RulesRegistryError(f"{model.__name__} for [{table}] must refuse unknown keys (extra='forbid')")
        for other in self._sections.values():
            if other.model is model:
                raise RulesRegistryError(
                    f"{model.__name__} validates both [{other.table}] and [{table}]: one model per table, "
                    "since a section is looked up by its model"
                )

    def load(self, path: Path | None = None) -> CountyRules:
        """The registered defaults, with the tables of the county file `path` (if given) laid over them.

        Raises tomllib.TOMLDecodeError for a file that is not TOML and pydantic.ValidationError for an
        unknown table or a bad value, located as `table.key`.
        """
        tables = {s.table: dict(s.defaults) for s in self._sections.values()}
        if path is not None:
            county = tomllib.loads(path.read_text(encoding="utf-8"))
            self._refuse_unknown(county)
            tables = _overlay(tables, county)
        validated = self._model().model_validate(tables)
        return CountyRules({s.model: getattr(validated, _field(s.table)) for s in self._sections.values()})

    def _refuse_unknown(self, county: Mapping[str, Any]) -> None:
        unknown = sorted(set(county) - set(self._sections))
        if not unknown:
            return
        known = ", ".join(f"[{t}]" for t in self.tables)
        errors: list[InitErrorDetails] = [
            {
                "type": PydanticCustomError(
                    "unknown_table",
                    "unknown table [{table}]; the known tables are {known}",
                    {"table": t, "known": known},
                ),
                "loc": (t,),
                "input": county[t],
            }
            for t in unknown
        ]
        raise ValidationError.from_exception_data(_TITLE, errors)

    def _model(self) -> type[BaseModel]:
        # The fields get neutral names and the table names as aliases, so that a table may be called
        # anything (even a name BaseModel already uses, like `json`) while errors still read `desk.key`.
        fields: dict[str, Any] = {_field(s.table): (s.model, Field(alias=s.table)) for s in self._sections.values()}
        return create_model(_TITLE, __config__=ConfigDict(extra="forbid", frozen=True), **fields)


def _field(table: str) -> str:
    return f"table_{table}"


def _overlay(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Tables merge key by key at every depth; any other value (a list of rules included) replaces."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _overlay(merged[key], value)
        else:
            merged[key] = value
    return merged
