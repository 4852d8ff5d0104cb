"""fraud warnings carry the fraud type the classifier reads in their texts, and its confidence

Warnings stored before this revision have none (NULL): their texts are not classified again here.

Revision ID: 0009_classify
Revises: 0008_backoffice_search
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_classify"
down_revision: str | None = "0008_backoffice_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("fraud_warnings", sa.Column("predicted_type", sa.String(length=32), nullable=True))
    op.add_column("fraud_warnings", sa.Column("predicted_confidence", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("fraud_warnings") as batch:
        batch.drop_column("predicted_confidence")
        batch.drop_column("predicted_type")
