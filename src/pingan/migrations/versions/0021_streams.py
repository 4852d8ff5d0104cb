"""dead letters of the stream workers (several machines: NATS JetStream)

Revision ID: 0021_streams
Revises: 0013_dangers
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import pingan.core.db

revision: str = "0021_streams"
down_revision: str | None = "0013_dangers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stream_dead_letters",
        sa.Column("id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("stream", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("msg_id", sa.String(length=200), nullable=True),
        sa.Column("deliveries", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("worker", sa.String(length=100), nullable=False),
        sa.Column("at", pingan.core.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stream_dead_letters")),
    )
    with op.batch_alter_table("stream_dead_letters", schema=None) as batch_op:
        batch_op.create_index("ix_stream_dead_letters_stream_at", ["stream", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("stream_dead_letters", schema=None) as batch_op:
        batch_op.drop_index("ix_stream_dead_letters_stream_at")
    op.drop_table("stream_dead_letters")
