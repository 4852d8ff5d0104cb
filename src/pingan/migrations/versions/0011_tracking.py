"""tracking (民生地网): service points, tags, vehicles, animals, base stations, detections, thefts, alerts

On PostgreSQL the detections are one table partitioned by month on `at` (its primary key and unique key
hold `at`, as partitioning requires); this month's and the next two months' partitions are made here, the
tracking sweep makes the later ones and drops those past the retention. The unique (tag_id, at) key is also
the index that reads a tag's day of track. On SQLite it is a plain table.

Revision ID: 0011_tracking
Revises: 0010_cards
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import pingan.core.db

revision: str = "0011_tracking"
down_revision: str | None = "0010_cards"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
DETECTIONS = "tracking_detections"


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _partitioned_detections() -> None:
    op.execute(
        f"""
        CREATE TABLE {DETECTIONS} (
            id BIGSERIAL NOT NULL,
            tag_id BIGINT NOT NULL,
            at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
            station_id INTEGER NOT NULL,
            rssi INTEGER,
            stations JSONB NOT NULL,
            received_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
            source_id VARCHAR(64),
            jump BOOLEAN NOT NULL,
            CONSTRAINT pk_{DETECTIONS} PRIMARY KEY (id, at),
            CONSTRAINT uq_{DETECTIONS}_tag_at UNIQUE (tag_id, at)
        ) PARTITION BY RANGE (at)
        """
    )
    op.execute(f"CREATE INDEX ix_{DETECTIONS}_station_at ON {DETECTIONS} (station_id, at)")
    now = datetime.now(UTC)
    month = date(now.year, now.month, 1)
    for _ in range(3):
        end = _next_month(month)
        op.execute(
            f"CREATE TABLE IF NOT EXISTS {DETECTIONS}_{month:%Y%m} PARTITION OF {DETECTIONS} "
            f"FOR VALUES FROM ('{month.isoformat()}') TO ('{end.isoformat()}')"
        )
        month = end


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _partitioned_detections()
    else:
        op.create_table(
            "tracking_detections",
            sa.Column("id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
            sa.Column("tag_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
            sa.Column("at", pingan.core.db.UTCDateTime(), nullable=False),
            sa.Column("station_id", sa.Integer(), nullable=False),
            sa.Column("rssi", sa.Integer(), nullable=True),
            sa.Column("stations", JSON, nullable=False),
            sa.Column("received_at", pingan.core.db.UTCDateTime(), nullable=False),
            sa.Column("source_id", sa.String(length=64), nullable=True),
            sa.Column("jump", sa.Boolean(), nullable=False),
            sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_detections")),
            sa.UniqueConstraint("tag_id", "at", name="uq_tracking_detections_tag_at"),
        )
        with op.batch_alter_table("tracking_detections", schema=None) as batch_op:
            batch_op.create_index("ix_tracking_detections_station_at", ["station_id", "at"], unique=False)

    op.create_table(
        "tracking_service_points",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_service_points")),
        sa.UniqueConstraint("name", name=op.f("uq_tracking_service_points_name")),
    )
    op.create_table(
        "tracking_stations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("village", sa.String(length=100), nullable=True),
        sa.Column("radius_m", sa.Float(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.Column("silence_minutes", sa.Integer(), nullable=True),
        sa.Column("last_heard_at", pingan.core.db.UTCDateTime(), nullable=True),
        sa.Column("last_status", JSON, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], name=op.f("fk_tracking_stations_area_id_areas")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_stations")),
        sa.UniqueConstraint("code", name=op.f("uq_tracking_stations_code")),
    )
    with op.batch_alter_table("tracking_stations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tracking_stations_area_id"), ["area_id"], unique=False)

    op.create_table(
        "tracking_tags",
        sa.Column("id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "vehicle_card",
                "bracelet",
                "anti_removal_bracelet",
                "livestock",
                name="tagkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum("active", "stolen", "retired", name="tagstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("owner_phone", sa.String(length=20), nullable=False),
        sa.Column("owner_name", sa.String(length=100), nullable=False),
        sa.Column("wearer_name", sa.String(length=100), nullable=True),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("service_point_id", sa.Integer(), nullable=True),
        sa.Column("installer", sa.String(length=100), nullable=True),
        sa.Column("installed_at", pingan.core.db.UTCDateTime(), nullable=False),
        sa.Column("insured", sa.Boolean(), nullable=False),
        sa.Column("fee_yuan", sa.Integer(), nullable=False),
        sa.Column("safe_stations", JSON, nullable=False),
        sa.Column("safe_polygon", sa.LargeBinary(), nullable=True),
        sa.Column("silence_hours", sa.Float(), nullable=True),
        sa.Column("last_seen_at", pingan.core.db.UTCDateTime(), nullable=True),
        sa.Column("last_station_id", sa.Integer(), nullable=True),
        sa.Column("created_at", pingan.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], name=op.f("fk_tracking_tags_area_id_areas")),
        sa.ForeignKeyConstraint(["community_id"], ["areas.id"], name=op.f("fk_tracking_tags_community_id_areas")),
        sa.ForeignKeyConstraint(
            ["last_station_id"],
            ["tracking_stations.id"],
            name=op.f("fk_tracking_tags_last_station_id_tracking_stations"),
        ),
        sa.ForeignKeyConstraint(
            ["service_point_id"],
            ["tracking_service_points.id"],
            name=op.f("fk_tracking_tags_service_point_id_tracking_service_points"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_tags")),
        sa.UniqueConstraint("code", name=op.f("uq_tracking_tags_code")),
    )
    with op.batch_alter_table("tracking_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tracking_tags_area_id"), ["area_id"], unique=False)
        batch_op.create_index("ix_tracking_tags_owner_phone", ["owner_phone"], unique=False)

    op.create_table(
        "tracking_animals",
        sa.Column("tag_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("species", sa.String(length=20), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tracking_tags.id"], name=op.f("fk_tracking_animals_tag_id_tracking_tags"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tag_id", name=op.f("pk_tracking_animals")),
    )
    op.create_table(
        "tracking_thefts",
        sa.Column("id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("tag_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "watched",
                "sighted",
                "recovered",
                "compensated",
                "closed",
                name="theftstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("stolen_at", pingan.core.db.UTCDateTime(), nullable=False),
        sa.Column("reported_at", pingan.core.db.UTCDateTime(), nullable=False),
        sa.Column("reported_by", sa.Integer(), nullable=True),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column("task_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True),
        sa.Column("first_sighted_at", pingan.core.db.UTCDateTime(), nullable=True),
        sa.Column("recovered_at", pingan.core.db.UTCDateTime(), nullable=True),
        sa.Column("recovered_place", sa.String(length=200), nullable=True),
        sa.Column("recovered_by", sa.Integer(), nullable=True),
        sa.Column("suspects", sa.Integer(), nullable=False),
        sa.Column("card_destroyed", sa.Boolean(), nullable=False),
        sa.Column("compensation_reason", sa.String(length=40), nullable=True),
        sa.Column("certificate_no", sa.String(length=64), nullable=True),
        sa.Column("invoices", sa.Text(), nullable=True),
        sa.Column("payout_yuan", sa.Integer(), nullable=True),
        sa.Column("paid_at", pingan.core.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], name=op.f("fk_tracking_thefts_area_id_areas")),
        sa.ForeignKeyConstraint(["recovered_by"], ["users.id"], name=op.f("fk_tracking_thefts_recovered_by_users")),
        sa.ForeignKeyConstraint(["reported_by"], ["users.id"], name=op.f("fk_tracking_thefts_reported_by_users")),
        sa.ForeignKeyConstraint(["tag_id"], ["tracking_tags.id"], name=op.f("fk_tracking_thefts_tag_id_tracking_tags")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_thefts")),
    )
    with op.batch_alter_table("tracking_thefts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tracking_thefts_tag_id"), ["tag_id"], unique=False)

    op.create_table(
        "tracking_vehicles",
        sa.Column("tag_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("plate", sa.String(length=20), nullable=True),
        sa.Column("frame_no", sa.String(length=40), nullable=True),
        sa.Column("model", sa.String(length=60), nullable=True),
        sa.Column("colour", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tracking_tags.id"], name=op.f("fk_tracking_vehicles_tag_id_tracking_tags"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tag_id", name=op.f("pk_tracking_vehicles")),
    )
    with op.batch_alter_table("tracking_vehicles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tracking_vehicles_frame_no"), ["frame_no"], unique=False)
        batch_op.create_index(batch_op.f("ix_tracking_vehicles_plate"), ["plate"], unique=False)

    op.create_table(
        "tracking_alerts",
        sa.Column("id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("episode", sa.String(length=100), nullable=False),
        sa.Column("tag_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "theft_sighting",
                "geofence_exit",
                "silence",
                "removal",
                "low_battery",
                name="alertkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("station_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.Column("at", pingan.core.db.UTCDateTime(), nullable=False),
        sa.Column("detected_at", pingan.core.db.UTCDateTime(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("heading", sa.String(length=8), nullable=True),
        sa.Column("last_at", pingan.core.db.UTCDateTime(), nullable=True),
        sa.Column("last_station_id", sa.Integer(), nullable=True),
        sa.Column("theft_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True),
        sa.Column("task_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], name=op.f("fk_tracking_alerts_area_id_areas")),
        sa.ForeignKeyConstraint(
            ["station_id"], ["tracking_stations.id"], name=op.f("fk_tracking_alerts_station_id_tracking_stations")
        ),
        sa.ForeignKeyConstraint(["tag_id"], ["tracking_tags.id"], name=op.f("fk_tracking_alerts_tag_id_tracking_tags")),
        sa.ForeignKeyConstraint(
            ["theft_id"], ["tracking_thefts.id"], name=op.f("fk_tracking_alerts_theft_id_tracking_thefts")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_tracking_alerts_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_alerts")),
        sa.UniqueConstraint("episode", name="uq_tracking_alerts_episode"),
    )
    with op.batch_alter_table("tracking_alerts", schema=None) as batch_op:
        batch_op.create_index("ix_tracking_alerts_at", ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_tracking_alerts_tag_id"), ["tag_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tracking_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tracking_alerts_tag_id"))
        batch_op.drop_index("ix_tracking_alerts_at")

    op.drop_table("tracking_alerts")
    with op.batch_alter_table("tracking_vehicles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tracking_vehicles_plate"))
        batch_op.drop_index(batch_op.f("ix_tracking_vehicles_frame_no"))

    op.drop_table("tracking_vehicles")
    with op.batch_alter_table("tracking_thefts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tracking_thefts_tag_id"))

    op.drop_table("tracking_thefts")
    op.drop_table("tracking_animals")
    with op.batch_alter_table("tracking_tags", schema=None) as batch_op:
        batch_op.drop_index("ix_tracking_tags_owner_phone")
        batch_op.drop_index(batch_op.f("ix_tracking_tags_area_id"))

    op.drop_table("tracking_tags")
    with op.batch_alter_table("tracking_stations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tracking_stations_area_id"))

    op.drop_table("tracking_stations")
    op.drop_table("tracking_service_points")
    with op.batch_alter_table("tracking_detections", schema=None) as batch_op:
        batch_op.drop_index("ix_tracking_detections_station_at")

    op.drop_table("tracking_detections")
