"""tracking: detections indexed by instant alone, not by station and instant

The intake stores tens of thousands of detections a second; each index is one more B-tree insertion per row.
`(station_id, at)` took a detection into one of hundreds of places at once (a station's run), and cost as much
as the table and its `(tag_id, at)` key together; nothing reads detections by station but the stations'
health (detections in the last hour, per station), which an index on `at` serves as a short range, written
at its end as detections arrive. On PostgreSQL the index is the partitioned table's (each month has its own).

Revision ID: 0032_detections_at
Revises: 0029_gangs
"""

from collections.abc import Sequence

from alembic import op

# Named, not numbered, so that it is re-chained by editing `down_revision` alone when branches merge.
revision: str = "0032_detections_at"
down_revision: str | None = "0029_gangs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_tracking_detections_station_at", table_name="tracking_detections")
    op.create_index("ix_tracking_detections_at", "tracking_detections", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_tracking_detections_at", table_name="tracking_detections")
    op.create_index("ix_tracking_detections_station_at", "tracking_detections", ["station_id", "at"], unique=False)
