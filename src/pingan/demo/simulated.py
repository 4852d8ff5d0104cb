"""Who the demo's simulated people are: accounts of their own, apart from the logins the README gives.

The demo's simulated officers, centre staff and residents must never act under a login a person uses:
a user signed in as ``dandong_mj1`` works their own tasks, and a resident signed in as ``13905740001``
sees only what they wrote. So the simulation has its own staff accounts (usernames ``sim_…``, names
marked 模拟, no password: nobody signs in as them) and its own range of resident phones
(``SIM_RESIDENT_PHONE_PREFIX``), and it leaves alone what a person holds (a task assigned to, or a request
handled by, anyone else).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from pingan.core.identity import create_user
from pingan.core.models import Role, Unit, UnitKind, User

SIM_USERNAME_PREFIX = "sim_"
SIM_MARK = "模拟"
SIM_RESIDENT_PHONE_PREFIX = "1390575"
"""Simulated residents' phones are 1390575xxxx; the README's 1390574xxxx are the user's alone."""

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林"

# Unit kind → the simulated staff it gets: (role, title) each.
_STAFF: dict[UnitKind, tuple[tuple[Role, str], ...]] = {
    UnitKind.STATION: ((Role.OFFICER, "民警"), (Role.OFFICER, "民警")),
    UnitKind.ANTI_FRAUD_CENTRE: ((Role.ANALYST, "研判员"),),
    UnitKind.COMMAND_CENTRE: ((Role.COMMANDER, "指挥员"),),
    UnitKind.SPECIALTY: ((Role.OFFICER, "民警"),),
    UnitKind.GOVERNANCE: ((Role.GOVERNANCE, "网格员"),),
}


@dataclass(frozen=True)
class SimulatedSide:
    """Which sides of the demo are simulated: the staff (officers, centres, governance) and the residents."""

    staff: bool = True
    residents: bool = True


def is_simulated() -> ColumnElement[bool]:
    """The condition on `User` that picks the simulated staff."""
    return User.username.startswith(SIM_USERNAME_PREFIX, autoescape=True)


def simulated_name(unit_name: str, surname: str, title: str) -> str:
    return f"{unit_name} {SIM_MARK}{title}{surname}"


def create_simulated_staff(session: Session, now: datetime, rng: random.Random | None = None) -> list[User]:
    """Simulated staff for every unit that works tasks (idempotent: existing accounts are kept).

    Usernames are ``sim_<unit code>_<n>``; they have no password, so nobody can sign in as them.
    """
    rng = rng or random.Random(0)
    made: list[User] = []
    units = session.scalars(select(Unit).where(Unit.kind.in_(list(_STAFF))).order_by(Unit.id)).all()
    existing = set(session.scalars(select(User.username).where(is_simulated())))
    for unit in units:
        for n, (role, title) in enumerate(_STAFF[unit.kind], start=1):
            username = f"{SIM_USERNAME_PREFIX}{unit.code}_{n}"
            if username in existing:
                continue
            name = simulated_name(unit.name, rng.choice(_SURNAMES), title)
            made.append(create_user(session, username, None, role=role, display_name=name, unit_id=unit.id, now=now))
    return made
