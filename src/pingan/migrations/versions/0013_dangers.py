"""hidden dangers (隐患整治: findings, their lead and co-departments, photos) and dispute mediation
(矛盾纠纷: mediators, disputes, sessions) of the command centre

Revision ID: 0013_dangers
Revises: 0014_verify
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Named, not numbered, so that it is re-chained by editing `down_revision` alone when branches merge.
revision: str = "0013_dangers"
down_revision: str | None = "0014_verify"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "dispute_mediators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_dispute_mediators_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispute_mediators")),
        sa.UniqueConstraint("unit_id", "name", name="uq_dispute_mediators_unit_name"),
    )
    with op.batch_alter_table("dispute_mediators", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dispute_mediators_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "dangers",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("plan", sa.Text(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.Column("lead_unit_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("found_at", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("rectified_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("task_id", BIG_ID, nullable=True),
        sa.Column("budget_yuan", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], name=op.f("fk_dangers_area_id_areas")),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_dangers_created_by_users")),
        sa.ForeignKeyConstraint(["lead_unit_id"], ["units.id"], name=op.f("fk_dangers_lead_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dangers")),
        sa.UniqueConstraint("source_id", name="uq_dangers_source_id"),
    )
    with op.batch_alter_table("dangers", schema=None) as batch_op:
        batch_op.create_index("ix_dangers_area_state", ["area_id", "state"], unique=False)
        batch_op.create_index("ix_dangers_found_at", ["found_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_dangers_lead_unit_id"), ["lead_unit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_dangers_task_id"), ["task_id"], unique=False)

    op.create_table(
        "disputes",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=True),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("mediator_id", sa.Integer(), nullable=True),
        sa.Column("parties", JSON, nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("agreement", sa.Text(), nullable=True),
        sa.Column("compensation_yuan", sa.Integer(), nullable=True),
        sa.Column("agreed_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("referral", sa.String(length=32), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("task_id", BIG_ID, nullable=True),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], name=op.f("fk_disputes_area_id_areas")),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_disputes_created_by_users")),
        sa.ForeignKeyConstraint(
            ["mediator_id"], ["dispute_mediators.id"], name=op.f("fk_disputes_mediator_id_dispute_mediators")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_disputes_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disputes")),
        sa.UniqueConstraint("source_id", name="uq_disputes_source_id"),
    )
    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.create_index("ix_disputes_area_state", ["area_id", "state"], unique=False)
        batch_op.create_index("ix_disputes_received_at", ["received_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_disputes_task_id"), ["task_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_disputes_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "danger_departments",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("danger_id", BIG_ID, nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("duty", sa.String(length=500), nullable=False),
        sa.Column("task_id", BIG_ID, nullable=True),
        sa.Column("reported_at", sa.DateTime(), nullable=True),
        sa.Column("report", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["danger_id"], ["dangers.id"], name=op.f("fk_danger_departments_danger_id_dangers")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_danger_departments_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_danger_departments")),
        sa.UniqueConstraint("danger_id", "unit_id", name="uq_danger_departments_unit"),
    )
    with op.batch_alter_table("danger_departments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_danger_departments_danger_id"), ["danger_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_danger_departments_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "danger_photos",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("danger_id", BIG_ID, nullable=False),
        sa.Column("stage", sa.String(32), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_by", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("mime", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=255), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(["danger_id"], ["dangers.id"], name=op.f("fk_danger_photos_danger_id_dangers")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_danger_photos_unit_id_units")),
        sa.ForeignKeyConstraint(["uploaded_by"], ["users.id"], name=op.f("fk_danger_photos_uploaded_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_danger_photos")),
    )
    with op.batch_alter_table("danger_photos", schema=None) as batch_op:
        batch_op.create_index("ix_danger_photos_danger", ["danger_id"], unique=False)

    op.create_table(
        "dispute_sessions",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("dispute_id", BIG_ID, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("mediators", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["dispute_id"], ["disputes.id"], name=op.f("fk_dispute_sessions_dispute_id_disputes")),
        sa.ForeignKeyConstraint(["recorded_by"], ["users.id"], name=op.f("fk_dispute_sessions_recorded_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispute_sessions")),
    )
    with op.batch_alter_table("dispute_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dispute_sessions_dispute_id"), ["dispute_id"], unique=False)


def downgrade() -> None:
    op.drop_table("dispute_sessions")
    op.drop_table("danger_photos")
    op.drop_table("danger_departments")
    op.drop_table("disputes")
    op.drop_table("dangers")
    op.drop_table("dispute_mediators")
