"""The table of stop-payment orders: one row per emergency stop sent to a bank, followed through freeze,
renewals and the return of the funds. The row's task (`task_id`) carries the status, the deadlines and the
history; the row keeps what the figures count (amounts, dates), written from the task's facts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pingan.core.apikeys import AccountKeyColumns
from pingan.core.db import Base, BigId
from pingan.core.models import _enum


class OrderStatus(StrEnum):
    ISSUED = "issued"  # 已下发，待银行止付
    HELD = "held"  # 已止付 (the 48 h hold runs)
    WITHDRAWN = "withdrawn"  # 资金已转出
    NOT_FOUND = "not_found"  # 账户不存在
    LAPSED = "lapsed"  # 止付已失效
    FREEZE_ORDERED = "freeze_ordered"  # 待冻结
    FROZEN = "frozen"  # 已冻结
    RENEWAL_ORDERED = "renewal_ordered"  # 待续冻
    FREEZE_LAPSED = "freeze_lapsed"  # 冻结已到期
    RETURN_ORDERED = "return_ordered"  # 待返还
    RETURNED = "returned"  # 已返还
    CLOSED = "closed"  # 已关闭 (with a reason)


class PaymentOrder(Base):
    __tablename__ = "payment_orders"
    __table_args__ = (
        Index("ix_payment_orders_account", "bank_unit_id", "account"),
        Index("ix_payment_orders_stopped_at", "stopped_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    client_ref: Mapped[str | None] = mapped_column(String(64), unique=True)
    """The requester's own id for the request: sending it again returns the first order, creates nothing."""
    bank_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    account: Mapped[str] = mapped_column(String(32))
    """Normalised: digits only."""
    account_name: Mapped[str | None] = mapped_column(String(100))
    amount_fen: Mapped[int] = mapped_column(BigId)
    """What the requester asks to stop."""
    basis: Mapped[str] = mapped_column(Text)
    """Why (the fraud report, the victim's transfer): shown masked."""
    case_ref: Mapped[str | None] = mapped_column(String(64), index=True)
    """The source id of the case it belongs to, when there is one."""
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    """The victim's station area, for figures per area."""
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime]
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"), index=True)
    status: Mapped[OrderStatus] = mapped_column(_enum(OrderStatus))
    stopped_at: Mapped[datetime | None]
    hold_ends_at: Mapped[datetime | None]
    amount_stopped_fen: Mapped[int | None] = mapped_column(BigId)
    amount_withdrawn_fen: Mapped[int | None] = mapped_column(BigId)
    frozen_at: Mapped[datetime | None]
    freeze_ends_at: Mapped[datetime | None]
    amount_frozen_fen: Mapped[int | None] = mapped_column(BigId)
    renewals: Mapped[int] = mapped_column(Integer, default=0)
    return_due_at: Mapped[datetime | None]
    returned_at: Mapped[datetime | None]
    amount_returned_fen: Mapped[int | None] = mapped_column(BigId)
    updated_at: Mapped[datetime]


class BankApiKey(AccountKeyColumns, Base):
    """A bank system's key for the bank API: only its hash is kept. Each key acts as its own partner account of
    the bank (`user_id`, no password), so the history says which key did what, and revoking it ends it."""

    __tablename__ = "payment_bank_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bank_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    name: Mapped[str] = mapped_column(String(100))
