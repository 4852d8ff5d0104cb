"""A default start signs with a key of its own: `pingan init` generates it, a token signed with any
guessable key is refused, and a start with no key stops in one line."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from pingan.api.app import create_app
from pingan.bootstrap import bootstrap
from pingan.cli import app as cli_app
from pingan.core.identity import create_user
from pingan.core.models import Role
from pingan.core.settings import Settings

GUESSABLE = [
    "pingan-development-secret-change-me",  # the placeholder that used to sign every default start
    "",
    "secret",
    "pingan",
    "changeme",
    "pingan2026",
    "0" * 32,
]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forged(key: str, user_id: int = 1) -> str:
    """An HS256 token signed by hand: the JWT library itself refuses to sign with an empty key."""
    now = datetime.now(UTC)
    claims = {"sub": str(user_id), "role": "admin", "iat": int(now.timestamp())}
    claims["exp"] = int((now + timedelta(hours=1)).timestamp())
    head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + _b64(json.dumps(claims).encode())
    return head + "." + _b64(hmac.new(key.encode(), head.encode(), hashlib.sha256).digest())


@pytest.fixture
def default_start(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> TestClient:
    """`pingan init` then a server, with no key in the environment: as an administrator first runs it."""
    monkeypatch.delenv("PINGAN_SECRET_KEY", raising=False)
    monkeypatch.chdir(tmp_path)  # the instance folder is ./var by default
    url = f"sqlite:///{tmp_path / 'pingan.db'}"
    result = CliRunner().invoke(cli_app, ["--database-url", url, "init"])
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "var" / "secret_key").is_file()
    services = bootstrap(Settings(database_url=url))
    with services.db.session() as session:
        create_user(
            session,
            "admin",
            "right-password",
            role=Role.ADMIN,
            display_name="管理员",
            unit_id=None,
            now=datetime.now(UTC),
        )
    return TestClient(create_app(services))


@pytest.mark.parametrize("key", GUESSABLE, ids=lambda k: repr(k)[:20])
def test_a_token_signed_with_a_guessable_key_is_refused_on_a_default_start(default_start: TestClient, key: str) -> None:
    headers = {"Authorization": f"Bearer {forged(key)}"}
    assert default_start.get("/api/v1/me", headers=headers).status_code == 401
    assert default_start.post("/api/v1/fraud/events", json=[], headers=headers).status_code == 401


def test_the_generated_key_signs_the_tokens_of_a_real_sign_in(default_start: TestClient) -> None:
    token = default_start.post("/api/v1/auth/token", data={"username": "admin", "password": "right-password"})
    assert token.status_code == 200, token.text
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert default_start.get("/api/v1/me", headers=headers).json()["username"] == "admin"


def test_a_start_with_no_key_and_none_generated_fails_in_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("PINGAN_SECRET_KEY", raising=False)
    monkeypatch.setenv("PINGAN_INSTANCE_DIR", str(tmp_path / "var"))
    url = f"sqlite:///{tmp_path / 'pingan.db'}"
    # A schema built by hand (as an older version's `pingan init` did), but no key generated.
    bootstrap(Settings(database_url=url, secret_key="k" * 32)).db.create_all()
    result = CliRunner().invoke(cli_app, ["--database-url", url, "serve"])
    assert result.exit_code != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "no signing key" in lines[0]
    assert "pingan init" in lines[0]
