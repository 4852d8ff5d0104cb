"""logins: the sign-in audit and throttle table, and a per-user token generation that revokes tokens

`auth_events` records staff sign-ins, failures, lockouts, log-outs, password and role changes and
deactivations; the throttle counts the failures in it, so that every server process shares one count.
`users.token_generation` is carried in each token: bumping it revokes every token of the user.

Revision ID: 0004_logins
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Named, not numbered, so that it is re-chained by editing `down_revision` alone when branches merge.
revision: str = "0004_logins"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")


def upgrade() -> None:
    op.add_column("users", sa.Column("token_generation", sa.Integer(), nullable=False, server_default=sa.text("0")))
    op.create_table(
        "auth_events",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", name="fk_auth_events_user_id_users")),
        sa.Column("username", sa.String(64)),
        sa.Column("address", sa.String(64)),
        sa.Column("actor_id", sa.Integer(), sa.ForeignKey("users.id", name="fk_auth_events_actor_id_users")),
        sa.Column("detail", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_auth_events"),
    )
    op.create_index("ix_auth_events_username_at", "auth_events", ["username", "at"])
    op.create_index("ix_auth_events_address_at", "auth_events", ["address", "at"])
    op.create_index("ix_auth_events_kind_at", "auth_events", ["kind", "at"])
    op.create_index("ix_auth_events_user_id", "auth_events", ["user_id"])


def downgrade() -> None:
    op.drop_table("auth_events")
    op.drop_column("users", "token_generation")
