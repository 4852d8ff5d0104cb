"""tracking: what the intake writes for every detection made narrower

- Detections are indexed by instant alone, not by station and instant. The intake stores tens of thousands
  a second, and each index is one more B-tree insertion per row: `(station_id, at)` took a detection into one
  of hundreds of places at once (a station's run) and cost as much as the table and its `(tag_id, at)` key
  together, while nothing reads detections by station but the stations' health (the last hour's detections
  per station), which an index on `at` serves as a short range, written at its end. On PostgreSQL the index
  is the partitioned table's (each month has its own).
- A tag's last sighting moves from the registry row (`tracking_tags.last_seen_at`, `last_station_id`) to a
  narrow table of its own, `tracking_tag_seen`, which the intake upserts for every tag of every batch.

Revision ID: 0032_tracking_speed
Revises: 0030_tenant_rank
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import pingan.core.db

# Named, not numbered, so that it is re-chained by editing `down_revision` alone when branches merge.
revision: str = "0032_tracking_speed"
down_revision: str | None = "0030_tenant_rank"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")


def upgrade() -> None:
    op.drop_index("ix_tracking_detections_station_at", table_name="tracking_detections")
    op.create_index("ix_tracking_detections_at", "tracking_detections", ["at"], unique=False)
    op.create_table(
        "tracking_tag_seen",
        sa.Column("tag_id", BIG, autoincrement=False, nullable=False),
        sa.Column("at", pingan.core.db.UTCDateTime(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tag_id", name=op.f("pk_tracking_tag_seen")),
    )
    op.execute(
        "INSERT INTO tracking_tag_seen (tag_id, at, station_id) SELECT id, last_seen_at, last_station_id "
        "FROM tracking_tags WHERE last_seen_at IS NOT NULL AND last_station_id IS NOT NULL"
    )
    with op.batch_alter_table("tracking_tags", schema=None) as batch_op:
        batch_op.drop_constraint("fk_tracking_tags_last_station_id_tracking_stations", type_="foreignkey")
        batch_op.drop_column("last_station_id")
        batch_op.drop_column("last_seen_at")


def downgrade() -> None:
    with op.batch_alter_table("tracking_tags", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_seen_at", pingan.core.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("last_station_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_tracking_tags_last_station_id_tracking_stations", "tracking_stations", ["last_station_id"], ["id"]
        )
    op.execute(
        "UPDATE tracking_tags SET last_seen_at = (SELECT s.at FROM tracking_tag_seen AS s WHERE s.tag_id = "
        "tracking_tags.id), last_station_id = (SELECT s.station_id FROM tracking_tag_seen AS s WHERE "
        "s.tag_id = tracking_tags.id)"
    )
    op.drop_table("tracking_tag_seen")
    op.drop_index("ix_tracking_detections_at", table_name="tracking_detections")
    op.create_index("ix_tracking_detections_station_at", "tracking_detections", ["station_id", "at"], unique=False)
