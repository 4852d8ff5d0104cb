"""push templates have an owner: the unit whose staff may edit them (none: a county template)

Templates written before this revision were the county's (only the centres wrote them in practice), so they
stay without a unit: from now on only the county-wide roles edit them.

Revision ID: 0005_template_owner
Revises: 0004_logins
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_template_owner"
down_revision: str | None = "0004_logins"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FK = "fk_desk_push_templates_unit_id_units"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its REFERENCES clause in place (its default is NULL); a batch copy of
        # the table would trip the foreign key that desk_pushes holds on it.
        op.execute(f"ALTER TABLE desk_push_templates ADD COLUMN unit_id INTEGER CONSTRAINT {FK} REFERENCES units (id)")
    else:
        op.add_column("desk_push_templates", sa.Column("unit_id", sa.Integer(), nullable=True))
        op.create_foreign_key(FK, "desk_push_templates", "units", ["unit_id"], ["id"])


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(FK, "desk_push_templates", type_="foreignkey")
    op.drop_column("desk_push_templates", "unit_id")
