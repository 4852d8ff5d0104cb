"""Process settings, read from the environment (prefix ``PINGAN_``) and ``*_FILE`` secrets.

Settings fail loudly on bad values. Outside development a placeholder secret is refused.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIN_SECRET_BYTES = 32
DEV_SECRET = "pingan-development-secret-change-me"  # noqa: S105 - a placeholder refused outside development


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PINGAN_", extra="ignore")

    environment: Environment = Environment.DEVELOPMENT
    database_url: str = "sqlite:///pingan.db"
    secret_key: str = DEV_SECRET
    secret_key_file: Path | None = None
    token_ttl_minutes: int = Field(default=12 * 60, ge=1, le=7 * 24 * 60)
    rules_file: Path | None = None
    """A TOML file of county rules (SLA deadlines, grading); the packaged defaults apply where it is silent."""
    max_body_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    max_batch_events: int = Field(default=10_000, ge=1)
    shared_data: Path = Path("../shared/data")
    media_dir: Path = Path("var/media")
    timezone: str = "Asia/Shanghai"

    # The outbox (durable work delivered by `pingan worker`): DingTalk posts, fraud reports from the desk.
    outbox_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    """How long an idle worker waits before looking again."""
    outbox_max_attempts: int = Field(default=10, ge=1, le=100)
    """Attempts before a row is dead (listed by `pingan outbox status`, revived by `pingan outbox retry`)."""
    outbox_lease_seconds: float = Field(default=60.0, ge=1, le=3600)
    """How long a claimed row is its worker's: a killed worker's rows are delivered again after this."""
    outbox_backoff_seconds: float = Field(default=10.0, gt=0, le=3600)
    """The wait after a first failure, doubled after each further one, up to `outbox_backoff_max_seconds`."""
    outbox_backoff_max_seconds: float = Field(default=3600.0, gt=0, le=7 * 24 * 3600)

    # Citizen desk (E警通): sign-in codes, uploads, DingTalk. County rules (deadlines, limits) are in the rules file.
    desk_otp_ttl_seconds: int = Field(default=300, ge=60, le=3600)
    desk_otp_length: int = Field(default=6, ge=4, le=8)
    desk_otp_max_attempts: int = Field(default=5, ge=1, le=20)
    desk_otp_resend_seconds: int = Field(default=60, ge=0, le=3600)
    desk_otp_per_phone_hour: int = Field(default=5, ge=1)
    desk_otp_per_phone_day: int = Field(default=10, ge=1)
    desk_otp_per_client_hour: int = Field(default=30, ge=1)
    desk_resident_token_minutes: int = Field(default=7 * 24 * 60, ge=5, le=30 * 24 * 60)
    desk_max_image_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    desk_max_audio_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    desk_max_files: int = Field(default=6, ge=0, le=20)
    desk_otp_show_code: bool = False
    """Return the sign-in code in the answer as well as texting it: for the demo, which has no SMS gateway.
    Refused in production."""
    desk_dingtalk_enabled: bool = True
    """Post notifications to the DingTalk robots bound to units and officers (none are bound by default)."""
    desk_dingtalk_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    desk_public_url: str | None = None
    """The web UI's address as officers reach it, for the "open" link in DingTalk cards."""

    # Operations: the server's and the workers' log lines.
    log_json: bool | None = None
    """One JSON object per log line (with the request id); unset: on in production, off in development."""
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    @property
    def json_logs(self) -> bool:
        return self.log_json if self.log_json is not None else self.environment is Environment.PRODUCTION

    @model_validator(mode="after")
    def _secrets(self) -> Settings:
        if self.secret_key_file is not None:
            self.secret_key = self.secret_key_file.read_text(encoding="utf-8").strip()
        if self.environment is Environment.PRODUCTION and self.secret_key == DEV_SECRET:
            raise ValueError("PINGAN_SECRET_KEY (or PINGAN_SECRET_KEY_FILE) must be set in production")
        if self.environment is Environment.PRODUCTION and self.desk_otp_show_code:
            raise ValueError("PINGAN_DESK_OTP_SHOW_CODE would hand sign-in codes to anyone: refused in production")
        if len(self.secret_key.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"PINGAN_SECRET_KEY must be at least {MIN_SECRET_BYTES} bytes (HS256 wants a 256-bit key)")
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
