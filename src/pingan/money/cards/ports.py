"""What the card openings need from other capabilities, declared here and wired in `pingan.bootstrap`."""

from __future__ import annotations

import contextlib
from collections.abc import Collection
from typing import Protocol

from sqlalchemy import select
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


class CaseIdentifierLinks:
    """Holders linked to a fraud case: a phone or card of theirs (a card they opened, or the phone they gave)
    is an identifier of a case that links (not a stoplisted or over-common value)."""

    def linked(self, session: Session, id_numbers: Collection[str]) -> set[str]:
        # Inside the money capability: the cards read the cases' identifiers directly.
        from pingan.core.identifiers import IdentifierKind, InvalidIdentifier, normalize_phone
        from pingan.money.cards.models import CardKind, CardOpening
        from pingan.money.models import CaseIdentifier

        wanted = set(id_numbers)
        if not wanted:
            return set()
        rows = session.execute(
            select(CardOpening.holder_id_number, CardOpening.kind, CardOpening.number, CardOpening.holder_phone).where(
                CardOpening.holder_id_number.in_(wanted)
            )
        ).all()
        owners: dict[tuple[str, str], set[str]] = {}
        for holder, kind, number, phone in rows:
            values = [(IdentifierKind.PHONE if kind == CardKind.SIM else IdentifierKind.ACCOUNT, number)]
            if phone:
                with contextlib.suppress(InvalidIdentifier):  # a phone no case could hold
                    values.append((IdentifierKind.PHONE, normalize_phone(phone)))
            for key in values:
                owners.setdefault((key[0].value, key[1]), set()).add(holder)
        if not owners:
            return set()
        found = session.execute(
            select(CaseIdentifier.kind, CaseIdentifier.value)
            .where(CaseIdentifier.linkable.is_(True))
            .where(CaseIdentifier.value.in_({value for _, value in owners}))
        ).all()
        linked: set[str] = set()
        for case_kind, value in found:
            linked |= owners.get((str(case_kind), value), set())
        return linked
