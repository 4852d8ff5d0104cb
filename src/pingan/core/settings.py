"""Process settings, read from the environment (prefix ``PINGAN_``) and ``*_FILE`` secrets.

Settings fail loudly on bad values. There is no placeholder signing key: the key is given
(`PINGAN_SECRET_KEY` / `PINGAN_SECRET_KEY_FILE`) or generated once by `pingan init` (and the demo) into the
instance folder, and a start with neither stops with one line (`MissingSecret`).
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

MIN_SECRET_BYTES = 32
KEY_FILE_NAME = "secret_key"
# Public strings that once signed tokens, or that anyone would try first: refused even when long enough.
GUESSABLE_SECRETS = frozenset({"pingan-development-secret-change-me"})


class MissingSecret(Exception):
    """No signing key was given and none was generated: the message is the one line to show."""


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PINGAN_", extra="ignore")

    environment: Environment = Environment.DEVELOPMENT
    database_url: str = "sqlite:///pingan.db"
    secret_key: str | None = None
    """Signs bearer tokens. Given here or in `secret_key_file`; else read from `instance_dir`/secret_key."""
    secret_key_file: Path | None = None
    instance_dir: Path = Path("var")
    """What an instance generates for itself and keeps: the signing key (`secret_key`, mode 0600)."""
    token_ttl_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)
    """A staff token's life; the UI refreshes it (`POST /auth/refresh`) before it runs out."""
    session_max_minutes: int = Field(default=12 * 60, ge=1, le=30 * 24 * 60)
    """How long refreshes may extend a staff sign-in (one shift) before the password is asked again."""

    # Sign-in throttling (state in the `auth_events` table, shared by every server process).
    login_window_minutes: int = Field(default=15, ge=1, le=24 * 60)
    """Failed sign-ins are counted over this window."""
    login_max_failures_per_account: int = Field(default=5, ge=1, le=1000)
    """Failures on one username in the window that lock it for `login_lockout_minutes`."""
    login_max_failures_per_address: int = Field(default=20, ge=1, le=100_000)
    """Failures from one client address (over every username) in the window that lock the address out."""
    login_lockout_minutes: int = Field(default=15, ge=1, le=24 * 60)
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Addresses or networks (comma-separated) of the reverse proxies whose `X-Forwarded-For` is believed;
    none by default: the client address is the connection's own."""
    rules_file: Path | None = None
    """A TOML file of county rules (SLA deadlines, grading); the packaged defaults apply where it is silent."""
    max_body_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    max_batch_events: int = Field(default=10_000, ge=1)
    shared_data: Path = Path("../shared/data")
    media_dir: Path = Path("var/media")
    timezone: str = "Asia/Shanghai"
    mqtt_url: str = "mqtt://127.0.0.1:1883"
    """The broker the base stations publish to (tracking's consumer subscribes there)."""
    mqtt_client_id: str = "pingan-tracking"
    """The consumer's persistent session: the broker keeps its unacknowledged messages while it is away."""
    mqtt_topic_prefix: str = "pingan"
    """The first level(s) of tracking's topics (`{prefix}/detections/{station}`): two installations (a test run
    and the demo) on one broker each read only their own."""
    mqtt_linger_ms: float = Field(default=20.0, ge=0, le=1000)
    """How long the consumer lets messages gather before storing them in one transaction (a batch is also
    stored as soon as it holds `mqtt_max_batch` messages)."""
    mqtt_max_batch: int = Field(default=5000, ge=1, le=100_000)
    mqtt_share_group: str | None = None
    """An MQTT 5 shared subscription's group (`$share/{group}/…`): the consumers (`pingan serve`, `pingan
    tracking consume`) of one group, on several cores or machines, split the stream, each message going to one
    of them. Each needs its own `mqtt_client_id` (its own persistent session). Unset: one consumer reads all."""

    # Streams for several machines (DESIGN §3): off unless a NATS URL is given; one machine writes directly.
    nats_url: str | None = None
    """`nats://host:4222`: the intakes publish to JetStream and `pingan worker --nats` stores what they did."""
    county: str | None = None
    """The county's code in stream subjects (`pingan.leads.<county>`); by default the county area's code."""
    nats_prefix: str = Field(default="pingan", pattern=r"^[A-Za-z0-9_-]{1,32}$")
    """Of the subjects and stream names, for deployments sharing one NATS server."""
    nats_replicas: int = Field(default=1, ge=1, le=5)
    nats_max_age_days: float = Field(default=7.0, gt=0, le=3650)
    nats_duplicate_window_seconds: float = Field(default=120.0, gt=0, le=7 * 24 * 3600)
    nats_ack_wait_seconds: float = Field(default=30.0, ge=1, le=3600)
    nats_max_deliver: int = Field(default=5, ge=1, le=1000)

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
    desk_resident_session_days: int = Field(default=90, ge=1, le=365)
    """How long refreshes may extend a resident's sign-in before a new SMS code is asked for."""
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

    # The map: the county's own polygons always; a base layer only from the bureau's own tile server (PGIS).
    map_tile_url: str = ""
    """A tile URL template with `{z}`, `{x}`, `{y}` (WGS84 / Web Mercator tiles), absolute `http(s)://` or a
    path on this server (behind the same reverse proxy); empty: no base layer, the polygons alone."""
    map_tile_max_zoom: int = Field(default=18, ge=1, le=22)
    map_tile_crs: Literal["wgs84", "gcj02"] = "wgs84"
    """What the tiles are drawn in: many Chinese base maps are GCJ-02, and then the county's WGS84 polygons
    and points are shifted onto them for display (and a point picked on them is sent back as GCJ-02)."""

    # Operations: the server's and the workers' log lines.
    log_json: bool | None = None
    """One JSON object per log line (with the request id); unset: on in production, off in development."""
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    @field_validator("mqtt_topic_prefix")
    @classmethod
    def _topic_prefix(cls, value: str) -> str:
        value = value.strip()
        levels = value.split("/")
        if not value or any(not level for level in levels):
            raise ValueError(f"an MQTT topic prefix is one or more non-empty levels (a/b), not {value!r}")
        if any(c in value for c in "+#\0") or value.startswith("$"):
            raise ValueError(f"an MQTT topic prefix holds no wildcard (+ #), NUL or leading $: {value!r}")
        return value

    @field_validator("mqtt_share_group")
    @classmethod
    def _share_group(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if any(c in value for c in "/+#\0"):
            raise ValueError(f"an MQTT share group is one topic level without / + # or NUL, not {value!r}")
        return value

    @field_validator("map_tile_url")
    @classmethod
    def _tile_template(cls, value: str) -> str:
        value = value.strip()
        if not value:
            return ""
        missing = [p for p in ("{z}", "{x}", "{y}") if p not in value]
        if missing:
            raise ValueError(f"the tile URL template lacks {', '.join(missing)}: {value!r}")
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") and not (not parts.scheme and value.startswith("/")):
            raise ValueError(f"the tile URL must be http(s):// or a path starting with /: {value!r}")
        if parts.scheme and not parts.netloc:
            raise ValueError(f"the tile URL names no host: {value!r}")
        if any(c in value for c in " '\";\n"):
            raise ValueError(f"the tile URL may not contain spaces, quotes or semicolons: {value!r}")
        return value

    @property
    def map_tile_origin(self) -> str | None:
        """The tile server's origin when it is not this server's (the pages' image policy must name it)."""
        parts = urlsplit(self.map_tile_url)
        return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None

    @property
    def json_logs(self) -> bool:
        return self.log_json if self.log_json is not None else self.environment is Environment.PRODUCTION

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, value: list[str]) -> list[str]:
        # The proxy middleware would take a mistyped address for a literal host name and trust nothing (or the
        # wrong thing) in silence: refuse it here, naming it.
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"not an IP address or network: {item!r}") from None
        return value

    @property
    def key_path(self) -> Path:
        """Where `pingan init` writes the generated signing key, and every later start reads it."""
        return self.instance_dir / KEY_FILE_NAME

    @model_validator(mode="after")
    def _secrets(self) -> Settings:
        if self.secret_key_file is not None:
            self.secret_key = self.secret_key_file.read_text(encoding="utf-8").strip()
        elif self.secret_key is None and self.key_path.is_file():
            self.secret_key = self.key_path.read_text(encoding="utf-8").strip()
        if self.environment is Environment.PRODUCTION and self.desk_otp_show_code:
            raise ValueError("PINGAN_DESK_OTP_SHOW_CODE would hand sign-in codes to anyone: refused in production")
        if self.secret_key is not None:
            if len(self.secret_key.encode()) < MIN_SECRET_BYTES:
                raise ValueError(
                    f"PINGAN_SECRET_KEY must be at least {MIN_SECRET_BYTES} bytes (HS256 wants a 256-bit key)"
                )
            if self.secret_key in GUESSABLE_SECRETS:
                raise ValueError("PINGAN_SECRET_KEY is a published placeholder: anyone could sign tokens with it")
        return self

    def signing_key(self) -> str:
        """The key that signs tokens; `MissingSecret` (one line to show) when none was given or generated."""
        if self.secret_key is None:
            raise MissingSecret(
                f"no signing key: run `pingan init` (it generates one into {self.key_path}) "
                "or set PINGAN_SECRET_KEY / PINGAN_SECRET_KEY_FILE"
            )
        return self.secret_key


def ensure_secret_key(settings: Settings) -> Path | None:
    """Give `settings` a signing key: the one it has, or a new random one written to its instance folder
    (readable by the owner only). Returns the file written, if one was."""
    if settings.secret_key is not None:
        return None
    path = settings.key_path
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: two processes initialising at once must not each write a key and sign with different ones.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        settings.secret_key = path.read_text(encoding="utf-8").strip()
        return None
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(key + "\n")
    settings.secret_key = key
    return path


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
