"""payment orders: emergency stops, freezes and returns with the banks; the bank systems' API keys

Two new tables; the orders' tasks are rows of the core's `tasks` (kind `bank_stop`), so nothing else changes.

Revision ID: 0007_payments
Revises: 0006_cases
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import pingan.core.db

revision: str = "0007_payments"
down_revision: str | None = "0006_cases"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")
STATUSES = (
    "issued",
    "held",
    "withdrawn",
    "not_found",
    "lapsed",
    "freeze_ordered",
    "frozen",
    "renewal_ordered",
    "freeze_lapsed",
    "return_ordered",
    "returned",
    "closed",
)


def _at(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, pingan.core.db.UTCDateTime(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "payment_orders",
        sa.Column("id", BIG, nullable=False),
        sa.Column("client_ref", sa.String(length=64), nullable=True),
        sa.Column("bank_unit_id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=32), nullable=False),
        sa.Column("account_name", sa.String(length=100), nullable=True),
        sa.Column("amount_fen", BIG, nullable=False),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.Column("case_ref", sa.String(length=64), nullable=True),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.Column("requested_by", sa.Integer(), nullable=False),
        _at("requested_at", nullable=False),
        sa.Column("task_id", BIG, nullable=True),
        sa.Column("status", sa.Enum(*STATUSES, name="orderstatus", native_enum=False, length=32), nullable=False),
        _at("stopped_at"),
        _at("hold_ends_at"),
        sa.Column("amount_stopped_fen", BIG, nullable=True),
        sa.Column("amount_withdrawn_fen", BIG, nullable=True),
        _at("frozen_at"),
        _at("freeze_ends_at"),
        sa.Column("amount_frozen_fen", BIG, nullable=True),
        sa.Column("renewals", sa.Integer(), nullable=False),
        _at("return_due_at"),
        _at("returned_at"),
        sa.Column("amount_returned_fen", BIG, nullable=True),
        _at("updated_at", nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], name=op.f("fk_payment_orders_area_id_areas")),
        sa.ForeignKeyConstraint(["bank_unit_id"], ["units.id"], name=op.f("fk_payment_orders_bank_unit_id_units")),
        sa.ForeignKeyConstraint(["requested_by"], ["users.id"], name=op.f("fk_payment_orders_requested_by_users")),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name=op.f("fk_payment_orders_task_id_tasks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_orders")),
        sa.UniqueConstraint("client_ref", name=op.f("uq_payment_orders_client_ref")),
    )
    op.create_index("ix_payment_orders_account", "payment_orders", ["bank_unit_id", "account"], unique=False)
    op.create_index("ix_payment_orders_stopped_at", "payment_orders", ["stopped_at"], unique=False)
    op.create_index(op.f("ix_payment_orders_case_ref"), "payment_orders", ["case_ref"], unique=False)
    op.create_index(op.f("ix_payment_orders_task_id"), "payment_orders", ["task_id"], unique=False)
    op.create_table(
        "payment_bank_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bank_unit_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        _at("created_at", nullable=False),
        _at("last_used_at"),
        _at("revoked_at"),
        sa.ForeignKeyConstraint(["bank_unit_id"], ["units.id"], name=op.f("fk_payment_bank_keys_bank_unit_id_units")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_payment_bank_keys_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_bank_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_payment_bank_keys_key_hash")),
    )


def downgrade() -> None:
    op.drop_table("payment_bank_keys")
    op.drop_index(op.f("ix_payment_orders_task_id"), table_name="payment_orders")
    op.drop_index(op.f("ix_payment_orders_case_ref"), table_name="payment_orders")
    op.drop_index("ix_payment_orders_stopped_at", table_name="payment_orders")
    op.drop_index("ix_payment_orders_account", table_name="payment_orders")
    op.drop_table("payment_orders")
