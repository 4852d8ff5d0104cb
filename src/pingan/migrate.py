"""Alembic, driven from Python: `pingan init` and the tests upgrade a database to head."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config

from pingan.core.db import Database


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("pingan").joinpath("migrations")))
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the database's schema to `revision` (idempotent)."""
    cfg = alembic_config(db.url)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
