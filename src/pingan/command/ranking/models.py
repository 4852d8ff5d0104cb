"""The rankings' one table: published snapshots, so that a published ranking never moves and the change
since the last period is read from what was published then."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pingan.core.db import Base, BigId


class RankingSnapshot(Base):
    """One board's ranking of one period as it was published (通报): the whole `Ranking`, as JSON."""

    __tablename__ = "ranking_snapshots"
    __table_args__ = (UniqueConstraint("tenant", "board", "period", name="uq_ranking_snapshots_tenant_board_period"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(32), default="", server_default="")
    """Whose ranking: a county's area code (its stations), a city's or province's (its counties), or '' for
    the deployment as a whole (one county, as a single county installs)."""
    board: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(32))
    """The period's key (`2026-11`)."""
    start: Mapped[datetime]
    end: Mapped[datetime]
    published_at: Mapped[datetime]
    published_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    """None when published from the command line."""
    body: Mapped[dict[str, Any]] = mapped_column(default=dict)
