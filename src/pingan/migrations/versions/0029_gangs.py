"""tracking: the gang (团伙) a theft's recovery broke, for the C7 figure of gangs broken

Revision ID: 0029_gangs
Revises: 0022_money3
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# Named, not numbered, so that it is re-chained by editing `down_revision` alone when branches merge.
revision: str = "0029_gangs"
down_revision: str | None = "0022_money3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tracking_thefts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("gang", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_tracking_thefts_gang", ["gang"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tracking_thefts", schema=None) as batch_op:
        batch_op.drop_index("ix_tracking_thefts_gang")
        batch_op.drop_column("gang")
