"""The command centre's port for placing an address (or a place's name) in a station area: the desk's matcher
of the county's area names, wired in `bootstrap` (a capability reaches another only through a port)."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session


class AddressPlaces(Protocol):
    """The station area an address names, or None."""

    def station_of(self, session: Session, address: str) -> int | None: ...


class NoAddresses:
    """No matcher: rows are placed by ID number, phone and point only."""

    def station_of(self, session: Session, address: str) -> int | None:
        return None
