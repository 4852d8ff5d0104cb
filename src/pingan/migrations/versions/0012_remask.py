"""mask the personal data held verbatim in task titles and notifications written before free-text masking

Data only: no table changes. Idempotent (`pingan maintenance remask` runs the same pass); the downgrade
leaves the masked text masked, since what was there cannot, and should not, come back.

Revision ID: 0012_remask
Revises: 0011_tracking
"""

from collections.abc import Sequence

from alembic import op

from pingan.core.remask import remask_free_text

revision: str = "0012_remask"
down_revision: str | None = "0011_tracking"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    remask_free_text(op.get_bind())


def downgrade() -> None:
    pass
