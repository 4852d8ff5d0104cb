"""cases: fraud cases (案件) and the identifiers they are linked by (串并案)

`cases` is unique on (source, source_id), so that an import or a dissuasion replayed opens nothing twice;
`cluster_id` is the smallest case id of the case's cluster. `case_identifiers` holds each case's
normalised identifiers, indexed by (kind, value): a link is two rows with the same key, never a pair row.

Revision ID: 0006_cases
Revises: 0005_template_owner
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_cases"
down_revision: str | None = "0005_template_owner"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("source_id", sa.String(128), nullable=False),
        sa.Column("county_code", sa.String(12), nullable=False),
        sa.Column("area_id", sa.Integer(), sa.ForeignKey("areas.id", name="fk_cases_area_id_areas")),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("units.id", name="fk_cases_unit_id_units")),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("reported_at", sa.DateTime(), nullable=False),
        sa.Column("occurred_at", sa.DateTime()),
        sa.Column("victim_name", sa.String(100)),
        sa.Column("victim_phone", sa.String(20)),
        sa.Column("victim_id_number", sa.String(32)),
        sa.Column(
            "victim_person_id", sa.Integer(), sa.ForeignKey("people.id", name="fk_cases_victim_person_id_people")
        ),
        sa.Column("loss_fen", BIG_ID, nullable=False),
        sa.Column("fraud_type", sa.String(32), nullable=False),
        sa.Column("narrative", sa.Text(), nullable=False),
        sa.Column("warning_id", BIG_ID),
        sa.Column("cluster_id", BIG_ID),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("users.id", name="fk_cases_created_by_users")),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_cases"),
        sa.UniqueConstraint("source", "source_id", name="uq_cases_source_source_id"),
    )
    op.create_index("ix_cases_cluster", "cases", ["cluster_id"])
    op.create_index("ix_cases_area_reported", "cases", ["area_id", "reported_at"])
    op.create_table(
        "case_identifiers",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column(
            "case_id",
            BIG_ID,
            sa.ForeignKey("cases.id", name="fk_case_identifiers_case_id_cases", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.String(255), nullable=False),
        sa.Column("raw", sa.String(255), nullable=False),
        sa.Column("origin", sa.String(32), nullable=False),
        sa.Column("linkable", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer()),
        sa.PrimaryKeyConstraint("id", name="pk_case_identifiers"),
        sa.UniqueConstraint("case_id", "kind", "value", name="uq_case_identifiers_case_id_kind_value"),
    )
    op.create_index("ix_case_identifiers_key", "case_identifiers", ["kind", "value"])


def downgrade() -> None:
    op.drop_table("case_identifiers")
    op.drop_table("cases")
