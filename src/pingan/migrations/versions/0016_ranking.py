"""rankings (打榜): published snapshots of a board's ranking per period

Revision ID: 0016_ranking
Revises: 0012_remask
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Named, not numbered, so that it is re-chained by editing `down_revision` alone when branches merge.
revision: str = "0016_ranking"
down_revision: str | None = "0012_remask"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ranking_snapshots",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("board", sa.String(64), nullable=False),
        sa.Column("period", sa.String(32), nullable=False),
        sa.Column("start", sa.DateTime(), nullable=False),
        sa.Column("end", sa.DateTime(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.Column(
            "published_by", sa.Integer(), sa.ForeignKey("users.id", name="fk_ranking_snapshots_published_by_users")
        ),
        sa.Column("body", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ranking_snapshots"),
        sa.UniqueConstraint("board", "period", name="uq_ranking_snapshots_board_period"),
    )


def downgrade() -> None:
    op.drop_table("ranking_snapshots")
