"""the staff search box looks people up by name: an index on people.name

Phones (person_phones' key), ID numbers (unique) and warnings' phones are indexed already; a name typed in the
search box was the one lookup that read the whole registry.

Revision ID: 0008_backoffice_search
Revises: 0007_payments
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008_backoffice_search"
down_revision: str | None = "0007_payments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_people_name", "people", ["name"])


def downgrade() -> None:
    op.drop_index("ix_people_name", table_name="people")
