"""What hidden dangers need of the outside: a store for photos (wired in bootstrap over the desk's media store)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True, slots=True)
class StoredPhoto:
    relative: str
    mime: str
    size: int
    sha256: str
    filename: str | None


class PhotoStore(Protocol):
    read_limit: int
    """Read at most this many bytes of an upload (one more than the largest allowed)."""

    def store(
        self, filename: str | None, declared_type: str | None, data: bytes, now: datetime, field: str
    ) -> StoredPhoto:
        """Check (an image, sniffed by its bytes; within the size limit) and write a photo; raises BadInput or a
        413 naming `field`."""
        ...

    def discard(self, relative: str) -> None:
        """Delete a stored photo again (its transaction did not commit)."""
        ...

    def path_of(self, relative: str) -> Path: ...
