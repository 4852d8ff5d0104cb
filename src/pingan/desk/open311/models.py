"""Tables of the Open311 edge (prefixed ``open311_``): client API keys and the requests they created."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from pingan.core.apikeys import ApiKeyColumns
from pingan.core.db import Base, BigId


class Open311ApiKey(ApiKeyColumns, Base):
    """A key an Open311 client posts with. Only its SHA-256 is kept; the key itself is shown once."""

    __tablename__ = "open311_api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    """Who holds the key (the client application or the partner running it)."""


class Open311Request(Base):
    """A desk request created through Open311: which key posted it, and what the client sent besides."""

    __tablename__ = "open311_requests"

    request_id: Mapped[int] = mapped_column(BigId, ForeignKey("desk_requests.id", ondelete="CASCADE"), primary_key=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("open311_api_keys.id"), index=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    account_id: Mapped[str | None] = mapped_column(String(64))
    device_id: Mapped[str | None] = mapped_column(String(64))
    media_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
