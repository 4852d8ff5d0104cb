"""The core's county rules registry on its own, with made-up capability tables (no fraud, no desk)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, Field, ValidationError

from pingan.core.rules import RulesModel, RulesRegistry, RulesRegistryError


class Patrol(RulesModel):
    shift_minutes: int = Field(ge=1)
    pairs: bool = True


class Radio(RulesModel):
    channel: int = Field(default=3, ge=1, le=16)


class Lenient(BaseModel):
    shift_minutes: int = 60


def toml(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def registry(tmp_path: Path) -> RulesRegistry:
    registry = RulesRegistry()
    registry.register(toml(tmp_path, "patrol.toml", "[patrol]\nshift_minutes = 480\n"), patrol=Patrol)
    registry.register(radio=Radio)
    return registry


def test_each_table_is_read_back_as_its_model(registry: RulesRegistry) -> None:
    rules = registry.load()
    assert rules.section(Patrol) == Patrol(shift_minutes=480, pairs=True)
    assert rules.section(Radio).channel == 3  # no defaults file: the model's own defaults


def test_a_county_file_overrides_one_key_and_omitted_tables_keep_their_defaults(
    registry: RulesRegistry, tmp_path: Path
) -> None:
    rules = registry.load(toml(tmp_path, "county.toml", "[patrol]\npairs = false\n"))
    assert rules.section(Patrol) == Patrol(shift_minutes=480, pairs=False)
    assert rules.section(Radio) == Radio()


def test_an_unknown_table_is_refused_naming_it_and_the_known_tables(registry: RulesRegistry, tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as info:
        registry.load(toml(tmp_path, "county.toml", "[patrol]\npairs = false\n[traffic]\nlights = 4\n"))
    message = str(info.value)
    assert "unknown table [traffic]" in message
    assert "[patrol], [radio]" in message


def test_a_bad_value_is_refused_with_its_table_and_key(registry: RulesRegistry, tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as info:
        registry.load(toml(tmp_path, "county.toml", "[radio]\nchannel = 17\n"))
    assert "radio.channel" in str(info.value)


def test_a_misspelt_key_is_refused_with_its_table(registry: RulesRegistry, tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as info:
        registry.load(toml(tmp_path, "county.toml", "[patrol]\nshift_minute = 30\n"))
    assert "patrol.shift_minute" in str(info.value)


def test_a_table_without_defaults_that_the_model_requires_fails_naming_the_missing_key() -> None:
    registry = RulesRegistry()
    registry.register(patrol=Patrol)
    with pytest.raises(ValidationError) as info:
        registry.load()
    assert "patrol.shift_minutes" in str(info.value)


def test_asking_for_an_unregistered_table_names_the_model(registry: RulesRegistry) -> None:
    class Tracking(RulesModel):
        pass

    with pytest.raises(LookupError, match="Tracking; registered: Patrol, Radio"):
        registry.load().section(Tracking)


# --- a capability registering its tables wrongly is stopped at once ------------------------------


def test_a_table_registered_twice_is_refused(registry: RulesRegistry) -> None:
    with pytest.raises(RulesRegistryError, match=r"\[radio\] is registered twice"):
        registry.register(radio=Radio)


def test_one_model_for_two_tables_is_refused(registry: RulesRegistry) -> None:
    with pytest.raises(RulesRegistryError, match=r"Radio validates both \[radio\] and \[radio2\]"):
        registry.register(radio2=Radio)


def test_a_model_that_ignores_unknown_keys_is_refused() -> None:
    with pytest.raises(RulesRegistryError, match="extra='forbid'"):
        RulesRegistry().register(patrol=Lenient)


def test_a_defaults_file_with_a_table_nobody_registers_is_refused(tmp_path: Path) -> None:
    defaults = toml(tmp_path, "patrol.toml", "[patrol]\nshift_minutes = 480\n[radio]\nchannel = 2\n")
    with pytest.raises(RulesRegistryError, match=r"holds the tables \['patrol', 'radio'\] but registers \['patrol'\]"):
        RulesRegistry().register(defaults, patrol=Patrol)


def test_a_table_name_that_is_not_lower_case_is_refused() -> None:
    with pytest.raises(RulesRegistryError, match="'Patrol'"):
        RulesRegistry().register(Patrol=Patrol)


def test_a_table_may_be_named_like_a_pydantic_attribute(tmp_path: Path) -> None:
    registry = RulesRegistry()
    registry.register(json=Radio)
    rules = registry.load(toml(tmp_path, "county.toml", "[json]\nchannel = 5\n"))
    assert rules.section(Radio).channel == 5
