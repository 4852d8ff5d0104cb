"""verification lists pushed down (核查清单), community drug rehabilitation (社区戒毒/康复), traffic enforcement
records (交通执法), and the users' duties (a clearance such as 禁毒 on top of the role)

Revision ID: 0014_verify
Revises: 0015_patrol
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Named, not numbered, so that it is re-chained by editing `down_revision` alone when branches merge.
revision: str = "0014_verify"
down_revision: str | None = "0015_patrol"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    other = target.split(".")[0]
    return sa.ForeignKeyConstraint([column], [target], name=f"fk_{table}_{column}_{other}")


def upgrade() -> None:
    # A plain ALTER TABLE … ADD/DROP COLUMN on both databases (SQLite ≥ 3.35): a batch copy of `users` would
    # have to drop the table that every other table points at.
    op.add_column("users", sa.Column("duties", JSON, nullable=False, server_default=sa.text("'[]'")))

    op.create_table(
        "verify_lists",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("source_id", sa.String(128), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("pushed_by", sa.Integer(), nullable=False),
        sa.Column("pushed_at", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        _fk("verify_lists", "pushed_by", "users.id"),
        sa.PrimaryKeyConstraint("id", name="pk_verify_lists"),
        sa.UniqueConstraint("source", "source_id", name="uq_verify_lists_source_source_id"),
    )
    op.create_index("ix_verify_lists_pushed_by", "verify_lists", ["pushed_by"])
    op.create_table(
        "verify_items",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("list_id", BIG_ID, nullable=False),
        sa.Column("row_key", sa.String(128), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("name", sa.String(100), nullable=True),
        sa.Column("id_number", sa.String(18), nullable=True),
        sa.Column("phone", sa.String(20), nullable=True),
        sa.Column("address", sa.String(255), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("person_id", BIG_ID, nullable=True),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("resolved_by", sa.String(32), nullable=False),
        sa.Column("task_id", BIG_ID, nullable=True),
        sa.Column("finding", sa.String(32), nullable=True),
        sa.Column("measures", sa.Text(), nullable=True),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        _fk("verify_items", "list_id", "verify_lists.id"),
        _fk("verify_items", "person_id", "people.id"),
        _fk("verify_items", "area_id", "areas.id"),
        _fk("verify_items", "unit_id", "units.id"),
        sa.PrimaryKeyConstraint("id", name="pk_verify_items"),
        sa.UniqueConstraint("list_id", "row_key", name="uq_verify_items_list_id_row_key"),
    )
    op.create_index("ix_verify_items_list_id", "verify_items", ["list_id"])
    op.create_index("ix_verify_items_task_id", "verify_items", ["task_id"])
    op.create_index("ix_verify_items_unit_id", "verify_items", ["unit_id"])
    op.create_table(
        "verify_platform_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        _fk("verify_platform_keys", "user_id", "users.id"),
        sa.PrimaryKeyConstraint("id", name="pk_verify_platform_keys"),
        sa.UniqueConstraint("key_hash", name="uq_verify_platform_keys_key_hash"),
    )

    op.create_table(
        "rehab_plans",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("source_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("person_id", BIG_ID, nullable=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("id_number", sa.String(18), nullable=False),
        sa.Column("phone", sa.String(20), nullable=True),
        sa.Column("address", sa.String(255), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("checkin_days", sa.Integer(), nullable=False),
        sa.Column("test_days", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("lost_since", sa.DateTime(), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("end_reason", sa.Text(), nullable=True),
        _fk("rehab_plans", "person_id", "people.id"),
        _fk("rehab_plans", "area_id", "areas.id"),
        _fk("rehab_plans", "unit_id", "units.id"),
        _fk("rehab_plans", "officer_id", "users.id"),
        sa.PrimaryKeyConstraint("id", name="pk_rehab_plans"),
        sa.UniqueConstraint("source_id", name="uq_rehab_plans_source_id"),
    )
    op.create_index("ix_rehab_plans_id_number", "rehab_plans", ["id_number"])
    op.create_index("ix_rehab_plans_unit_id", "rehab_plans", ["unit_id"])
    op.create_table(
        "rehab_checks",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("plan_id", BIG_ID, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.Column("result", sa.String(32), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("missed_at", sa.DateTime(), nullable=True),
        sa.Column("task_id", BIG_ID, nullable=True),
        _fk("rehab_checks", "plan_id", "rehab_plans.id"),
        _fk("rehab_checks", "recorded_by", "users.id"),
        sa.PrimaryKeyConstraint("id", name="pk_rehab_checks"),
        sa.UniqueConstraint("plan_id", "kind", "due_on", name="uq_rehab_checks_plan_id_kind_due_on"),
    )
    op.create_index("ix_rehab_checks_open", "rehab_checks", ["done_at", "missed_at", "due_on"])
    op.create_index("ix_rehab_checks_plan_id", "rehab_checks", ["plan_id"])

    op.create_table(
        "traffic_records",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("source_id", sa.String(64), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("place", sa.String(200), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        _fk("traffic_records", "area_id", "areas.id"),
        sa.PrimaryKeyConstraint("id", name="pk_traffic_records"),
        sa.UniqueConstraint("source_id", name="uq_traffic_records_source_id"),
    )
    op.create_index("ix_traffic_records_area_id", "traffic_records", ["area_id"])
    op.create_index("ix_traffic_records_at", "traffic_records", ["at"])


def downgrade() -> None:
    for table in (
        "traffic_records",
        "rehab_checks",
        "rehab_plans",
        "verify_platform_keys",
        "verify_items",
        "verify_lists",
    ):
        op.drop_table(table)
    op.drop_column("users", "duties")
