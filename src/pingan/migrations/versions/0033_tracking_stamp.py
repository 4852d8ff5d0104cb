"""tracking: a token that says whether the intake's tags are still as stored (SQLite)

`tracking_intake_stamp` holds one row, a token. On SQLite three triggers on `tracking_tags` set it to a new
random value whenever a tag is added or removed or its code, kind or status changes, and the intake sets it
to a value of its own with each batch; an intake that finds its own last token keeps its tags (with their
last sightings) between batches instead of reading them again. The triggers' text is frozen here, as the
migration made them; `tracking.models.TAG_TRIGGERS` is what `create_all` makes.

Revision ID: 0033_tracking_stamp
Revises: 0033_shared_templates
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# Named, not numbered, so that it is re-chained by editing `down_revision` alone when branches merge.
revision: str = "0033_tracking_stamp"
down_revision: str | None = "0033_shared_templates"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_RENEW = "BEGIN UPDATE tracking_intake_stamp SET token = random() WHERE id = 1; END"
_TRIGGERS = {
    "tracking_tags_insert_stamp": f"AFTER INSERT ON tracking_tags {_RENEW}",
    "tracking_tags_update_stamp": f"AFTER UPDATE OF id, code, kind, status ON tracking_tags {_RENEW}",
    "tracking_tags_delete_stamp": f"AFTER DELETE ON tracking_tags {_RENEW}",
}


def upgrade() -> None:
    op.create_table(
        "tracking_intake_stamp",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("token", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_intake_stamp")),
    )
    if op.get_bind().dialect.name == "sqlite":
        for name, body in _TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in _TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("tracking_intake_stamp")
