"""Masking, after the fact, of the personal data held verbatim in rows written before free-text masking.

Task titles and notification titles and bodies are masked when they are written (`mask_free_text`); rows
written before that may hold a resident's ID number, phone or bank card as typed. `remask_free_text` masks
them in place, a batch of rows at a time. It is idempotent (masking masked text changes nothing), so the
migration that runs it and `pingan maintenance remask` may both run it any number of times.

It works on the tables' bare columns (not the ORM models), so that the migration which calls it keeps
working whatever later revisions do to the models.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pingan.core.identifiers import mask_free_text

TARGETS: dict[str, tuple[str, ...]] = {
    "tasks": ("title",),
    "notifications": ("title", "body"),
}
"""The tables, and their columns stored masked since masking existed."""


@dataclass
class RemaskResult:
    scanned: dict[str, int] = field(default_factory=dict)
    masked: dict[str, int] = field(default_factory=dict)
    """Rows changed, per table."""


def remask_free_text(conn: Connection, *, batch: int = 1000) -> RemaskResult:
    """Mask the free text of every row of `TARGETS` in place, in the connection's transaction."""
    result = RemaskResult()
    for name, columns in TARGETS.items():
        table = sa.table(name, sa.column("id"), *(sa.column(c) for c in columns))
        scanned = masked = 0
        last = 0
        while True:
            rows = conn.execute(
                sa.select(table.c.id, *(table.c[c] for c in columns))
                .where(table.c.id > last)
                .order_by(table.c.id)
                .limit(batch)
            ).all()
            if not rows:
                break
            for row in rows:
                changes = {}
                for column, value in zip(columns, row[1:], strict=True):
                    if value and (new := mask_free_text(value)) != value:
                        changes[column] = new
                if changes:
                    conn.execute(sa.update(table).where(table.c.id == row[0]).values(**changes))
                    masked += 1
            scanned += len(rows)
            last = rows[-1][0]
        result.scanned[name], result.masked[name] = scanned, masked
    return result
