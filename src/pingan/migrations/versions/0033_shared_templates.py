"""desk: a city's or a province's push template is shared with the counties below only when it says so

`shared_below` is true for the templates that were shared until now (a city's, a province's, the deployment's
own in a deployment of several counties) and false for a county's, a unit's and a single county's.

Revision ID: 0033_shared_templates
Revises: 0031_tenant_reports
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# Named, not numbered, so that it is re-chained by editing `down_revision` alone when branches merge.
revision: str = "0033_shared_templates"
down_revision: str | None = "0031_tenant_reports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "desk_push_templates"


def upgrade() -> None:
    # A plain ADD COLUMN: no copy of the table that desk_pushes refers to (see 0031_tenant_reports).
    op.add_column(TABLE, sa.Column("shared_below", sa.Boolean(), nullable=False, server_default=sa.text("true")))
    op.execute(
        "UPDATE desk_push_templates SET shared_below = false WHERE unit_id IS NOT NULL "
        "OR tenant_area_id IN (SELECT id FROM areas WHERE kind = 'county') "
        "OR (SELECT COUNT(*) FROM areas WHERE kind = 'county') < 2"
    )


def downgrade() -> None:
    op.drop_column(TABLE, "shared_below")
