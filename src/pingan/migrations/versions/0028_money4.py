"""campaign SMS opt-outs (退订): the phones that receive no campaign text, and the history of every opt-out and
opt-in (by an SMS reply, the resident, or an officer on request)

Revision ID: 0028_money4
Revises: 0021_streams
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# Named, not numbered, so that it is re-chained by editing `down_revision` alone when branches merge.
revision: str = "0028_money4"
down_revision: str | None = "0021_streams"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "sms_opt_outs",
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(200), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name="fk_sms_opt_outs_actor_id_users"),
        sa.PrimaryKeyConstraint("phone", name="pk_sms_opt_outs"),
    )
    op.create_table(
        "sms_opt_out_events",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("ref", sa.String(100), nullable=True),
        sa.Column("note", sa.String(200), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name="fk_sms_opt_out_events_actor_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_sms_opt_out_events"),
        sa.UniqueConstraint("ref", name="uq_sms_opt_out_events_ref"),
    )
    op.create_index("ix_sms_opt_out_events_phone", "sms_opt_out_events", ["phone", "at"])
    op.create_index("ix_sms_opt_out_events_at", "sms_opt_out_events", ["at"])


def downgrade() -> None:
    op.drop_index("ix_sms_opt_out_events_at", table_name="sms_opt_out_events")
    op.drop_index("ix_sms_opt_out_events_phone", table_name="sms_opt_out_events")
    op.drop_table("sms_opt_out_events")
    op.drop_table("sms_opt_outs")
