"""task contract: a task's capability-specific counters move into its `facts`

The dissuasion's calls, unanswered calls and visits were columns every task carried; they are now the
fraud capability's facts on its task (`tasks.facts`, JSON). A desk request's task records the resident who
owns it (`facts.resident_id`), so that the one access decision can let a resident act on their own request.
Statuses, steps and actions stay short strings (VARCHAR(32)); only the Python side changed.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
COUNTERS = ("calls", "unanswered", "visits")


def upgrade() -> None:
    # Plain ALTER TABLE, not a batch copy: SQLite (3.35+) adds and drops these columns in place, and copying
    # `tasks` would trip the foreign keys of its history and notifications.
    op.add_column("tasks", sa.Column("facts", JSON, nullable=False, server_default=sa.text("'{}'")))
    pg = op.get_bind().dialect.name == "postgresql"
    build = "jsonb_build_object" if pg else "json_object"
    counters = ", ".join(f"'{c}', {c}" for c in COUNTERS)
    op.execute(f"UPDATE tasks SET facts = {build}({counters}) WHERE kind = 'dissuasion'")  # noqa: S608 - constants only
    owner = "(SELECT r.resident_id FROM desk_requests r WHERE r.id = tasks.ref_id)"
    op.execute(
        f"UPDATE tasks SET facts = {build}('resident_id', {owner}) "  # noqa: S608 - constants only
        "WHERE ref_type = 'desk_request' AND EXISTS (SELECT 1 FROM desk_requests r WHERE r.id = tasks.ref_id)"
    )
    if pg:  # SQLite cannot drop a column's default in place; it keeps '{}', which the code never relies on
        op.alter_column("tasks", "facts", server_default=None, existing_type=JSON, existing_nullable=False)
    for column in COUNTERS:
        op.drop_column("tasks", column)


def downgrade() -> None:
    for column in COUNTERS:
        op.add_column("tasks", sa.Column(column, sa.Integer(), nullable=False, server_default="0"))
    pg = op.get_bind().dialect.name == "postgresql"
    for column in COUNTERS:
        value = f"COALESCE((facts->>'{column}')::int, 0)" if pg else f"COALESCE(json_extract(facts, '$.{column}'), 0)"
        op.execute(f"UPDATE tasks SET {column} = {value}")  # noqa: S608 - constants only
    op.drop_column("tasks", "facts")
