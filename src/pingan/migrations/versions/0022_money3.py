"""warnings as members of the clusters (串并): where each lies, its cluster, and the counterparts it named

Warnings stored before this revision join the clusters at `pingan cases relink`.

Revision ID: 0022_money3
Revises: 0028_money4
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# Named, not numbered, so that it is re-chained by editing `down_revision` alone when branches merge.
revision: str = "0022_money3"
down_revision: str | None = "0028_money4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "warning_members",
        sa.Column("warning_id", BIG_ID, autoincrement=False, nullable=False),
        sa.Column("county_code", sa.String(12), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("cluster_id", BIG_ID, nullable=True),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], name="fk_warning_members_area_id_areas"),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name="fk_warning_members_unit_id_units"),
        sa.PrimaryKeyConstraint("warning_id", name="pk_warning_members"),
    )
    op.create_index("ix_warning_members_cluster", "warning_members", ["cluster_id"])
    op.create_table(
        "warning_identifiers",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("warning_id", BIG_ID, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.String(255), nullable=False),
        sa.Column("source_id", sa.String(128), nullable=False),
        sa.ForeignKeyConstraint(
            ["warning_id"],
            ["warning_members.warning_id"],
            name="fk_warning_identifiers_warning_id_warning_members",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_warning_identifiers"),
        sa.UniqueConstraint("warning_id", "kind", "value", name="uq_warning_identifiers_warning_id_kind_value"),
    )
    op.create_index("ix_warning_identifiers_key", "warning_identifiers", ["kind", "value"])


def downgrade() -> None:
    op.drop_index("ix_warning_identifiers_key", table_name="warning_identifiers")
    op.drop_table("warning_identifiers")
    op.drop_index("ix_warning_members_cluster", table_name="warning_members")
    op.drop_table("warning_members")
