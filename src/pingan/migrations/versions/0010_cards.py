"""card openings reported by operators and banks (断卡), flagged by the county's rules and verified by a task

Revision ID: 0010_cards
Revises: 0009_classify
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Named, not numbered, so that it is re-chained by editing `down_revision` alone when branches merge.
revision: str = "0010_cards"
down_revision: str | None = "0009_classify"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "card_openings",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("source_kind", sa.String(32), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("source_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("holder_name", sa.String(100), nullable=False),
        sa.Column("holder_id_number", sa.String(18), nullable=False),
        sa.Column("holder_phone", sa.String(20), nullable=True),
        sa.Column("person_id", BIG_ID, sa.ForeignKey("people.id", name="fk_card_openings_person_id_people")),
        sa.Column("outlet_id", sa.String(64), nullable=False),
        sa.Column("outlet_name", sa.String(200), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("area_id", sa.Integer(), sa.ForeignKey("areas.id", name="fk_card_openings_area_id_areas")),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("units.id", name="fk_card_openings_unit_id_units")),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("reasons", JSON, nullable=False),
        sa.Column("task_id", BIG_ID, nullable=True),
        sa.Column("verification", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_card_openings"),
        sa.UniqueConstraint("source", "source_id", name="uq_card_openings_source_source_id"),
    )
    op.create_index("ix_card_openings_flagged", "card_openings", ["flagged", "id"])
    op.create_index("ix_card_openings_holder_at", "card_openings", ["holder_id_number", "opened_at"])
    op.create_index("ix_card_openings_outlet_at", "card_openings", ["source", "outlet_id", "opened_at"])


def downgrade() -> None:
    op.drop_table("card_openings")
