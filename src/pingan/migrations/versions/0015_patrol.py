"""patrol zones, patrol units and their last positions, the duty roster, and alarms (统一接警)

Revision ID: 0015_patrol
Revises: 0017_money2
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Named, not numbered, so that it is re-chained by editing `down_revision` alone when branches merge.
revision: str = "0015_patrol"
down_revision: str | None = "0017_money2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")


def _fk(table: str, column: str, target: str, col_type: sa.types.TypeEngine | None = None) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        column,
        col_type if col_type is not None else sa.Integer(),
        sa.ForeignKey(f"{target}.id", name=f"fk_{table}_{column}_{target}"),
        nullable=True,
    )


def upgrade() -> None:
    op.create_table(
        "patrol_zones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("geometry", sa.LargeBinary(), nullable=False),
        _fk("patrol_zones", "unit_id", "units"),
        _fk("patrol_zones", "area_id", "areas"),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_patrol_zones"),
        sa.UniqueConstraint("code", name="uq_patrol_zones_code"),
    )
    op.create_table(
        "patrol_units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column(
            "unit_id", sa.Integer(), sa.ForeignKey("units.id", name="fk_patrol_units_unit_id_units"), nullable=False
        ),
        _fk("patrol_units", "zone_id", "patrol_zones"),
        _fk("patrol_units", "leader_id", "users"),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("position_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_patrol_units"),
        sa.UniqueConstraint("code", name="uq_patrol_units_code"),
    )
    op.create_index("ix_patrol_units_unit", "patrol_units", ["unit_id"])
    op.create_table(
        "duty_shifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column(
            "unit_id", sa.Integer(), sa.ForeignKey("units.id", name="fk_duty_shifts_unit_id_units"), nullable=False
        ),
        _fk("duty_shifts", "patrol_unit_id", "patrol_units"),
        _fk("duty_shifts", "user_id", "users"),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.String(200), nullable=True),
        _fk("duty_shifts", "created_by", "users"),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_duty_shifts"),
    )
    op.create_index("ix_duty_shifts_patrol_unit", "duty_shifts", ["patrol_unit_id", "starts_at"])
    op.create_index("ix_duty_shifts_user", "duty_shifts", ["user_id", "starts_at"])
    op.create_index("ix_duty_shifts_unit_starts", "duty_shifts", ["unit_id", "starts_at"])
    op.create_table(
        "alarms",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("source_id", sa.String(64), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("level", sa.String(32), nullable=False),
        sa.Column("reasons", JSON, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("caller_name", sa.String(100), nullable=True),
        sa.Column("caller_phone", sa.String(20), nullable=True),
        sa.Column("address", sa.String(200), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        _fk("alarms", "area_id", "areas"),
        _fk("alarms", "zone_id", "patrol_zones"),
        _fk("alarms", "unit_id", "units"),
        _fk("alarms", "task_id", "tasks", BIG_ID),
        _fk("alarms", "patrol_unit_id", "patrol_units"),
        sa.Column("dispatched_at", sa.DateTime(), nullable=True),
        sa.Column("arrived_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        _fk("alarms", "created_by", "users"),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_alarms"),
        sa.UniqueConstraint("source", "source_id", name="uq_alarms_source"),
    )
    op.create_index("ix_alarms_received", "alarms", ["received_at"])
    op.create_index("ix_alarms_zone_received", "alarms", ["zone_id", "received_at"])


def downgrade() -> None:
    op.drop_table("alarms")
    op.drop_table("duty_shifts")
    op.drop_table("patrol_units")
    op.drop_table("patrol_zones")
