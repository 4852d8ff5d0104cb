"""desk: push templates belong to a tenancy (a county, a city, a province); a code is unique per tenancy

Revision ID: 0031_tenant_reports
Revises: 0032_tracking_speed
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# Named, not numbered, so that it is re-chained by editing `down_revision` alone when branches merge.
revision: str = "0031_tenant_reports"
down_revision: str | None = "0032_tracking_speed"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "desk_push_templates"
INDEX = "uq_desk_push_templates_tenant_code"
FK = "fk_desk_push_templates_tenant_area_id_areas"
UNIT_FK = "fk_desk_push_templates_unit_id_units"


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _detached_pushes() -> list[tuple[int, int]]:
    """SQLite drops the unique constraint on `code` only by copying the table; desk_pushes refers to it, and
    dropping the old copy would break each push's reference (SQLite counts those violations even once the
    new copy takes the name). The pushes let go of their template for the copy and take it back after."""
    bind = op.get_bind()
    pushes = [
        (int(i), int(t))
        for i, t in bind.execute(sa.text("SELECT id, template_id FROM desk_pushes WHERE template_id IS NOT NULL"))
    ]
    op.execute("UPDATE desk_pushes SET template_id = NULL WHERE template_id IS NOT NULL")
    return pushes


def _reattached(pushes: list[tuple[int, int]]) -> None:
    bind = op.get_bind()
    for push_id, template_id in pushes:
        bind.execute(
            sa.text("UPDATE desk_pushes SET template_id = :template WHERE id = :id"),
            {"template": template_id, "id": push_id},
        )


def upgrade() -> None:
    pushes = _detached_pushes() if _sqlite() else []
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.add_column(sa.Column("tenant_area_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(FK, "areas", ["tenant_area_id"], ["id"])
        batch_op.drop_constraint("uq_desk_push_templates_code", type_="unique")
    _reattached(pushes)
    # An installation of one county written down: its templates are that county's (a second county added later
    # finds them where they were); with none or several, they stay the deployment's own.
    op.execute(
        "UPDATE desk_push_templates SET tenant_area_id = (SELECT MIN(id) FROM areas WHERE kind = 'county') "
        "WHERE (SELECT COUNT(*) FROM areas WHERE kind = 'county') = 1"
    )
    op.create_index(INDEX, TABLE, [sa.text("coalesce(tenant_area_id, 0)"), "code"], unique=True)


def downgrade() -> None:
    op.drop_index(INDEX, table_name=TABLE)
    bind = op.get_bind()
    owners = bind.execute(sa.text("SELECT id, unit_id FROM desk_push_templates WHERE unit_id IS NOT NULL")).all()
    sqlite = _sqlite()
    pushes = _detached_pushes() if sqlite else []
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_constraint(FK, type_="foreignkey")
        batch_op.drop_column("tenant_area_id")
        if sqlite:
            # The copy would write unit_id's reference as a table constraint, which the downgrade before this
            # one cannot drop with its column: it is added again below as that migration added it.
            batch_op.drop_column("unit_id")
        batch_op.create_unique_constraint("uq_desk_push_templates_code", ["code"])
    if sqlite:
        op.execute(f"ALTER TABLE {TABLE} ADD COLUMN unit_id INTEGER CONSTRAINT {UNIT_FK} REFERENCES units (id)")
        for template_id, unit_id in owners:
            bind.execute(
                sa.text("UPDATE desk_push_templates SET unit_id = :unit WHERE id = :id"),
                {"unit": unit_id, "id": template_id},
            )
    _reattached(pushes)
