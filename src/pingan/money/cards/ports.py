"""What the card openings need from other capabilities, declared here and wired in `pingan.bootstrap`."""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

from sqlalchemy.orm import Session


class CaseLinkedPeople(Protocol):
    def linked(self, session: Session, id_numbers: Collection[str]) -> set[str]:
        """Those of the ID numbers whose holders are linked to a fraud case (a victim's money went through their
        card, or they are a suspect). The money capability's cases answer this once they are wired."""
        ...


class NoCaseLinks:
    """The default until cases are wired: nobody is linked."""

    def linked(self, session: Session, id_numbers: Collection[str]) -> set[str]:
        return set()
