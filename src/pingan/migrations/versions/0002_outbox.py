"""outbox: durable work for the worker; DingTalk sends keyed by their outbox row

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 09:00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import pingan.core.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
FRAUD_REPORT = "desk.fraud_report"  # the kind as this revision knows it (pingan.desk.service.FRAUD_REPORT)


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        sa.Column("payload", JSON, nullable=False),
        sa.Column(
            "state",
            sa.Enum("pending", "delivered", "dead", name="outboxstate", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("created_at", pingan.core.db.UTCDateTime(), nullable=False),
        sa.Column("available_at", pingan.core.db.UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("claimed_until", pingan.core.db.UTCDateTime(), nullable=True),
        sa.Column("delivered_at", pingan.core.db.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_outbox_dedupe_key")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_due", ["state", "available_at"], unique=False)

    with op.batch_alter_table("desk_dingtalk_sends", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outbox_id", BIG_ID, nullable=True))
        batch_op.create_index(batch_op.f("ix_desk_dingtalk_sends_outbox_id"), ["outbox_id"], unique=False)

    _announce_unforwarded_fraud_reports()


def _announce_unforwarded_fraud_reports() -> None:
    """Suspected-fraud requests not yet forwarded to the fraud loop: the version before this one queued them in
    memory (and looked for them again at its next start). From now on only the outbox forwards them, so they
    are announced there, as a post now does."""
    requests = sa.table(
        "desk_requests",
        sa.column("id", BIG_ID),
        sa.column("category", sa.String(32)),
        sa.column("fraud_forwarded_at", pingan.core.db.UTCDateTime()),
    )
    ids = (
        op.get_bind()
        .execute(
            sa.select(requests.c.id)
            .where(requests.c.category == "fraud", requests.c.fraud_forwarded_at.is_(None))
            .order_by(requests.c.id)
        )
        .scalars()
        .all()
    )
    if not ids:
        return
    outbox = sa.table(
        "outbox",
        sa.column("kind", sa.String(64)),
        sa.column("dedupe_key", sa.String(200)),
        sa.column("payload", JSON),
        sa.column("state", sa.String(32)),
        sa.column("created_at", pingan.core.db.UTCDateTime()),
        sa.column("available_at", pingan.core.db.UTCDateTime()),
        sa.column("attempts", sa.Integer()),
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        outbox,
        [
            {
                "kind": FRAUD_REPORT,
                "dedupe_key": f"{FRAUD_REPORT}:{request_id}",
                "payload": {"request_id": request_id},
                "state": "pending",
                "created_at": now,
                "available_at": now,
                "attempts": 0,
            }
            for request_id in ids
        ],
    )


def downgrade() -> None:
    # Rows still pending are dropped with the table: the version before this one forwards unforwarded
    # fraud requests itself at its start, but DingTalk posts not yet made are not sent.
    with op.batch_alter_table("desk_dingtalk_sends", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_desk_dingtalk_sends_outbox_id"))
        batch_op.drop_column("outbox_id")

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_due")

    op.drop_table("outbox")
