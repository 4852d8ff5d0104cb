"""Fixtures shared by the whole suite: the shared data folder and the databases."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _missing(reason: str) -> None:
    """Skip on a developer's machine; fail under CI, where everything must run."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this must not be skipped)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real public data beside the project (`PINGAN_SHARED_DATA`)."""
    root = Path(__file__).resolve().parents[1]
    path = Path(os.environ.get("PINGAN_SHARED_DATA", root.parent / "shared" / "data"))
    if not (path / "geo").is_dir():
        _missing(f"shared data not found at {path}; set PINGAN_SHARED_DATA")
    return path
