"""Process settings: the environment, secret files and the checks that refuse a weak or placeholder secret."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from pingan.core.settings import (
    GUESSABLE_SECRETS,
    MIN_SECRET_BYTES,
    Environment,
    MissingSecret,
    Settings,
    ensure_secret_key,
)

GOOD = "k" * MIN_SECRET_BYTES


def test_settings_come_from_the_environment_with_the_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PINGAN_DATABASE_URL", "sqlite:////tmp/x.db")
    monkeypatch.setenv("PINGAN_TOKEN_TTL_MINUTES", "30")
    settings = Settings()
    assert settings.database_url == "sqlite:////tmp/x.db"
    assert settings.token_ttl_minutes == 30


def test_a_secret_file_wins_over_the_variable_and_is_stripped(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    path.write_text(GOOD + "\n", encoding="utf-8")
    settings = Settings(secret_key="ignored-because-a-file-is-given-xxxxxxxx", secret_key_file=path)
    assert settings.secret_key == GOOD


def test_there_is_no_placeholder_key_without_one_given_or_generated(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("PINGAN_SECRET_KEY", raising=False)
    settings = Settings(instance_dir=tmp_path)
    assert settings.secret_key is None
    with pytest.raises(MissingSecret, match="pingan init") as refused:
        settings.signing_key()
    assert "\n" not in str(refused.value)


def test_a_start_without_a_key_stops_before_anything_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from pingan.bootstrap import bootstrap

    monkeypatch.delenv("PINGAN_SECRET_KEY", raising=False)
    with pytest.raises(MissingSecret):
        bootstrap(Settings(database_url=f"sqlite:///{tmp_path / 'p.db'}", instance_dir=tmp_path))


def test_a_generated_key_is_random_private_and_read_by_every_later_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("PINGAN_SECRET_KEY", raising=False)
    first = Settings(instance_dir=tmp_path / "var")
    written = ensure_secret_key(first)
    assert written == tmp_path / "var" / "secret_key"
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert first.secret_key is not None
    assert len(first.secret_key.encode()) >= MIN_SECRET_BYTES
    assert Settings(instance_dir=tmp_path / "var").signing_key() == first.secret_key
    # A second init keeps the key (tokens already issued stay valid); another instance gets its own.
    assert ensure_secret_key(Settings(instance_dir=tmp_path / "var")) is None
    other = Settings(instance_dir=tmp_path / "other")
    ensure_secret_key(other)
    assert other.secret_key != first.secret_key


def test_a_given_key_wins_and_nothing_is_generated(tmp_path: Path) -> None:
    settings = Settings(secret_key=GOOD, instance_dir=tmp_path)
    assert ensure_secret_key(settings) is None
    assert settings.signing_key() == GOOD
    assert not (tmp_path / "secret_key").exists()


def test_the_old_published_placeholder_is_refused_everywhere() -> None:
    for secret in GUESSABLE_SECRETS:
        with pytest.raises(ValidationError, match="placeholder"):
            Settings(secret_key=secret)
        with pytest.raises(ValidationError, match="placeholder"):
            Settings(environment=Environment.PRODUCTION, secret_key=secret)
    assert Settings(environment=Environment.PRODUCTION, secret_key=GOOD).secret_key == GOOD


def test_trusted_proxies_are_read_comma_separated_and_must_be_addresses(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().trusted_proxies == []
    monkeypatch.setenv("PINGAN_TRUSTED_PROXIES", "10.0.0.1, 192.168.0.0/16")
    assert Settings().trusted_proxies == ["10.0.0.1", "192.168.0.0/16"]
    monkeypatch.setenv("PINGAN_TRUSTED_PROXIES", "10.0.0.1,proxy.local")
    with pytest.raises(ValidationError, match=r"proxy\.local"):
        Settings()


def test_a_secret_one_byte_short_is_refused() -> None:
    with pytest.raises(ValidationError, match=f"at least {MIN_SECRET_BYTES} bytes"):
        Settings(secret_key="k" * (MIN_SECRET_BYTES - 1))


def test_the_length_is_counted_in_bytes() -> None:
    # 11 Chinese characters are 33 bytes in UTF-8: long enough, though only 11 characters.
    assert Settings(secret_key="平" * 11).secret_key == "平" * 11


def test_bad_numbers_are_refused_naming_the_setting() -> None:
    with pytest.raises(ValidationError, match="token_ttl_minutes"):
        Settings(token_ttl_minutes=0)


def test_production_refuses_to_show_sign_in_codes() -> None:
    with pytest.raises(ValidationError, match="DESK_OTP_SHOW_CODE"):
        Settings(environment=Environment.PRODUCTION, secret_key=GOOD, desk_otp_show_code=True)
    assert Settings(desk_otp_show_code=True).desk_otp_show_code


def test_the_demo_setting_reaches_the_sign_in_policy(tmp_path: Path) -> None:
    from pingan.bootstrap import bootstrap

    services = bootstrap(
        Settings(database_url=f"sqlite:///{tmp_path / 'p.db'}", media_dir=tmp_path, desk_otp_show_code=True)
    )
    try:
        assert services.desk.otp.policy.show_code is True
    finally:
        services.close()
