"""cases as tasks (task_id, solved_at, the classifier's prediction), their suspects, targeted warning campaigns
with their text messages, and an index of fraud events by counterpart (linking warnings into clusters)

Revision ID: 0017_money2
Revises: 0016_ranking
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Named, not numbered, so that it is re-chained by editing `down_revision` alone when branches merge.
revision: str = "0017_money2"
down_revision: str | None = "0016_ranking"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("task_id", BIG_ID, nullable=True))
        batch.add_column(sa.Column("solved_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("predicted_type", sa.String(32), nullable=True))
        batch.add_column(sa.Column("predicted_confidence", sa.Float(), nullable=True))
    op.create_table(
        "case_suspects",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("case_id", BIG_ID, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("id_number", sa.String(18), nullable=True),
        sa.Column("phone", sa.String(20), nullable=True),
        sa.Column("role", sa.String(100), nullable=True),
        sa.Column("caught", sa.Boolean(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_case_suspects_case_id_cases", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], name="fk_case_suspects_area_id_areas"),
        sa.ForeignKeyConstraint(["recorded_by"], ["users.id"], name="fk_case_suspects_recorded_by_users"),
        sa.PrimaryKeyConstraint("id", name="pk_case_suspects"),
    )
    op.create_index("ix_case_suspects_case", "case_suspects", ["case_id"])
    op.create_index("ix_case_suspects_recorded", "case_suspects", ["recorded_at"])
    op.create_table(
        "campaigns",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("fraud_type", sa.String(32), nullable=False),
        sa.Column("target_group", sa.String(32), nullable=False),
        sa.Column("area_ids", JSON, nullable=False),
        sa.Column("title", sa.String(100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("push_id", BIG_ID, nullable=True),
        sa.Column("push_targeted", sa.Integer(), nullable=False),
        sa.Column("push_delivered", sa.Integer(), nullable=False),
        sa.Column("push_held", sa.Integer(), nullable=False),
        sa.Column("sms_targeted", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name="fk_campaigns_created_by_users"),
        sa.PrimaryKeyConstraint("id", name="pk_campaigns"),
    )
    op.create_index("ix_campaigns_created", "campaigns", ["created_at"])
    op.create_table(
        "campaign_sms",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("campaign_id", BIG_ID, nullable=False),
        sa.Column("person_id", BIG_ID, nullable=True),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("queued_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name="fk_campaign_sms_campaign_id_campaigns", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name="fk_campaign_sms_person_id_people"),
        sa.PrimaryKeyConstraint("id", name="pk_campaign_sms"),
        sa.UniqueConstraint("campaign_id", "phone", name="uq_campaign_sms_campaign_id_phone"),
    )
    op.create_index("ix_campaign_sms_status", "campaign_sms", ["campaign_id", "status"])
    op.create_index("ix_fraud_events_counterpart", "fraud_events", ["counterpart_kind", "counterpart"])


def downgrade() -> None:
    op.drop_index("ix_fraud_events_counterpart", table_name="fraud_events")
    op.drop_table("campaign_sms")
    op.drop_table("campaigns")
    op.drop_table("case_suspects")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("predicted_confidence")
        batch.drop_column("predicted_type")
        batch.drop_column("solved_at")
        batch.drop_column("task_id")
