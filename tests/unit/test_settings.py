"""Process settings: the environment, secret files and the checks that refuse a weak or placeholder secret."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from pingan.core.settings import DEV_SECRET, MIN_SECRET_BYTES, Environment, Settings

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


def test_production_refuses_the_development_placeholder() -> None:
    with pytest.raises(ValidationError, match="must be set in production"):
        Settings(environment=Environment.PRODUCTION)
    assert Settings(environment=Environment.PRODUCTION, secret_key=GOOD).secret_key == GOOD
    assert Settings().secret_key == DEV_SECRET  # development keeps working out of the box


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
