"""ranking: published snapshots per tenant (a county's own, a city's or province's board of its counties)

Existing snapshots (one county, or a deployment ranked as a whole) keep the tenant '' and stay valid.

Revision ID: 0030_tenant_rank
Revises: 0029_gangs
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030_tenant_rank"
down_revision: str | None = "0029_gangs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ranking_snapshots", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tenant", sa.String(length=32), nullable=False, server_default=""))
        batch_op.drop_constraint("uq_ranking_snapshots_board_period", type_="unique")
        batch_op.create_unique_constraint("uq_ranking_snapshots_tenant_board_period", ["tenant", "board", "period"])


def downgrade() -> None:
    # Two tenants' snapshots of one board and period cannot both survive the old key: the deployment-wide
    # one ('') is kept.
    op.execute("DELETE FROM ranking_snapshots WHERE tenant <> ''")
    with op.batch_alter_table("ranking_snapshots", schema=None) as batch_op:
        batch_op.drop_constraint("uq_ranking_snapshots_tenant_board_period", type_="unique")
        batch_op.create_unique_constraint("uq_ranking_snapshots_board_period", ["board", "period"])
        batch_op.drop_column("tenant")
