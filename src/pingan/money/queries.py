"""Read models of cases: the list, one case, the clusters and the values kept from linking."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select, true, tuple_, union_all
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session

from pingan.core.db import containing
from pingan.core.identifiers import mask_free_text, mask_id_number, mask_name, mask_phone
from pingan.core.models import Area
from pingan.core.scope import Scope
from pingan.money.extract import KIND_NAMES, CaseIdentifierKind
from pingan.money.linking import Key, LinkRules
from pingan.money.models import Case, CaseIdentifier, CaseStatus, CaseSuspect, WarningIdentifier, WarningMember
from pingan.money.ports import WarningFacts, WarningLinks
from pingan.money.schemas import TYPE_NAMES

STATUS_NAMES = {
    CaseStatus.OPEN: "侦办中",
    CaseStatus.SOLVED: "已破案",
    CaseStatus.PROSECUTED: "已移送起诉",
    CaseStatus.CLOSED: "已结案",
}


def victim_view(case: Case, *, reveal: bool) -> dict[str, Any]:
    """The victim as shown: masked unless `reveal` (the caller records the read)."""
    name, phone, id_number = case.victim_name, case.victim_phone, case.victim_id_number
    return {
        "name": name if reveal or name is None else mask_name(name),
        "phone": phone if reveal or phone is None else mask_phone(phone),
        "id_number": id_number if reveal or id_number is None else mask_id_number(id_number),
        "person_id": case.victim_person_id,
        "masked": not reveal,
    }


def case_view(case: Case, station: str | None, *, reveal: bool = False, cluster_size: int = 1) -> dict[str, Any]:
    return {
        "id": case.id,
        "source": case.source.value,
        "source_id": case.source_id,
        "county_code": case.county_code,
        "station_id": case.area_id,
        "station": station,
        "unit_id": case.unit_id,
        "status": case.status.value,
        "status_name": STATUS_NAMES[case.status],
        "reported_at": case.reported_at.isoformat(),
        "occurred_at": case.occurred_at.isoformat() if case.occurred_at else None,
        "victim": victim_view(case, reveal=reveal),
        "loss_yuan": f"{case.loss_fen / 100:.2f}",
        "fraud_type": case.fraud_type,
        "fraud_type_name": TYPE_NAMES.get(case.fraud_type, case.fraud_type),
        "predicted_type": case.predicted_type,
        "predicted_confidence": case.predicted_confidence,
        "narrative": case.narrative if reveal else mask_free_text(case.narrative),
        "warning_id": case.warning_id,
        "task_id": case.task_id,
        "solved_at": case.solved_at.isoformat() if case.solved_at else None,
        "cluster_id": case.cluster_id,
        "cluster_size": cluster_size,
        "created_at": case.created_at.isoformat(),
        "updated_at": case.updated_at.isoformat(),
    }


def identifier_view(row: CaseIdentifier, *, reveal: bool, blocked: bool) -> dict[str, Any]:
    kind = CaseIdentifierKind(row.kind)
    # The victim's own phone is personal data, masked as the victim is; the fraudsters' identifiers are the leads.
    own = kind is CaseIdentifierKind.PHONE and not row.linkable
    return {
        "kind": row.kind,
        "kind_name": KIND_NAMES[kind],
        "value": mask_phone(row.value) if own and not reveal else row.value,
        "raw": mask_phone(row.raw) if own and not reveal else row.raw,
        "origin": row.origin.value,
        "linkable": row.linkable,
        "blocked": blocked,
        "position": row.position,
    }


def _cluster_sizes(session: Session, cluster_ids: Sequence[int]) -> dict[int, int]:
    if not cluster_ids:
        return {}
    rows = session.execute(
        select(Case.cluster_id, func.count()).where(Case.cluster_id.in_(set(cluster_ids))).group_by(Case.cluster_id)
    )
    return {k: n for k, n in rows if k is not None}


def list_cases(
    session: Session,
    *,
    scope_clause: ColumnElement[bool] | None = None,
    status: CaseStatus | None = None,
    fraud_type: str | None = None,
    area_id: int | None = None,
    cluster_id: int | None = None,
    since: datetime | None = None,
    q: str | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Cases newest first, victims masked; filters are optional. `q` is text in the narrative or the source id."""
    query = (
        select(Case, Area.name)
        .outerjoin(Area, Area.id == Case.area_id)
        .where(scope_clause if scope_clause is not None else true())
        .order_by(Case.id.desc())
        .limit(limit)
    )
    if status is not None:
        query = query.where(Case.status == status)
    if fraud_type:
        query = query.where(Case.fraud_type == fraud_type)
    if area_id is not None:
        query = query.where(Case.area_id == area_id)
    if cluster_id is not None:
        query = query.where(Case.cluster_id == cluster_id)
    if since is not None:
        query = query.where(Case.reported_at >= since)
    if before_id is not None:
        query = query.where(Case.id < before_id)
    if q:
        query = query.where(containing(Case.narrative, q) | containing(Case.source_id, q))
    rows = session.execute(query).all()
    sizes = _cluster_sizes(session, [c.cluster_id for c, _ in rows if c.cluster_id is not None])
    return [case_view(c, name, cluster_size=sizes.get(c.cluster_id or 0, 1)) for c, name in rows]


def holder_counts(session: Session, keys: Sequence[Key]) -> tuple[dict[Key, int], dict[Key, int]]:
    """How many cases, and how many warnings, hold each of `keys` (a key nobody holds is left out)."""
    cases: dict[Key, int] = {}
    warnings: dict[Key, int] = {}
    for i in range(0, len(keys), 500):
        chunk = keys[i : i + 500]
        rows = session.execute(
            select(CaseIdentifier.kind, CaseIdentifier.value, func.count())
            .where(CaseIdentifier.linkable.is_(True), tuple_(CaseIdentifier.kind, CaseIdentifier.value).in_(chunk))
            .group_by(CaseIdentifier.kind, CaseIdentifier.value)
        )
        cases.update({(k, v): n for k, v, n in rows})
        rows = session.execute(
            select(WarningIdentifier.kind, WarningIdentifier.value, func.count())
            .where(tuple_(WarningIdentifier.kind, WarningIdentifier.value).in_(chunk))
            .group_by(WarningIdentifier.kind, WarningIdentifier.value)
        )
        warnings.update({(k, v): n for k, v, n in rows})
    return cases, warnings


def key_counts(session: Session, keys: Sequence[Key]) -> dict[Key, int]:
    """How many members (cases and warnings) hold each of `keys`: what the cap is checked against."""
    cases, warnings = holder_counts(session, keys)
    out = dict(cases)
    for key, n in warnings.items():
        out[key] = out.get(key, 0) + n
    return out


def case_detail(session: Session, case: Case, rules: LinkRules, *, reveal: bool) -> dict[str, Any]:
    """One case with its identifiers (each saying whether it links) and the other cases of its cluster."""
    station = session.get(Area, case.area_id).name if case.area_id else None  # type: ignore[union-attr]
    rows = session.scalars(
        select(CaseIdentifier).where(CaseIdentifier.case_id == case.id).order_by(CaseIdentifier.id)
    ).all()
    held_by, warned = holder_counts(session, [(r.kind, r.value) for r in rows if r.linkable])
    counts = key_counts(session, [(r.kind, r.value) for r in rows if r.linkable])
    sizes = _cluster_sizes(session, [case.cluster_id] if case.cluster_id else [])
    view = case_view(case, station, reveal=reveal, cluster_size=sizes.get(case.cluster_id or 0, 1))
    # The warnings in the case's cluster: people warned by the same ring, not yet defrauded.
    view["cluster_warnings"] = (
        session.scalar(select(func.count()).where(WarningMember.cluster_id == case.cluster_id))
        if case.cluster_id is not None
        else 0
    )
    view["suspects"] = [
        {
            "id": x.id,
            "name": x.name if reveal else mask_name(x.name),
            "id_number": (x.id_number if reveal else mask_id_number(x.id_number)) if x.id_number else None,
            "phone": (x.phone if reveal else mask_phone(x.phone)) if x.phone else None,
            "role": x.role,
            "caught": x.caught,
            "recorded_at": x.recorded_at.isoformat(),
        }
        for x in session.scalars(select(CaseSuspect).where(CaseSuspect.case_id == case.id).order_by(CaseSuspect.id))
    ]
    view["identifiers"] = [
        {
            **identifier_view(
                r,
                reveal=reveal,
                blocked=r.linkable and rules.blocked((r.kind, r.value), counts.get((r.kind, r.value), 0)),
            ),
            "cases": held_by.get((r.kind, r.value), 1),
            "warnings": warned.get((r.kind, r.value), 0),
        }
        for r in rows
    ]
    return view


def clusters(
    session: Session,
    rules: LinkRules,
    *,
    scope: Scope | None = None,
    min_size: int = 2,
    limit: int = 200,
    warnings: WarningLinks | None = None,
) -> list[dict[str, Any]]:
    """Clusters of at least `min_size` members (cases, and warnings: people warned, nobody defrauded yet),
    largest first: their cases' and warnings' source ids, counties and losses, and the identifiers linking
    them (each with the members holding it). A cluster is listed when one of its members lies in `scope`
    (None: everything); its members outside it are counted (`hidden_cases`, `hidden_warnings`), never
    shown. `warnings` gives each warning's level and outcome."""
    member = union_all(
        select(Case.cluster_id.label("cid")).where(Case.cluster_id.is_not(None)),
        select(WarningMember.cluster_id.label("cid")).where(WarningMember.cluster_id.is_not(None)),
    ).subquery()
    n = func.count().label("n")
    query = (
        select(member.c.cid, n)
        .group_by(member.c.cid)
        .having(func.count() >= min_size)
        .order_by(n.desc(), sql_case((member.c.cid < 0, 1), else_=0), func.abs(member.c.cid))
    )
    case_seen: ColumnElement[bool] = true()
    warning_seen: ColumnElement[bool] = true()
    if scope is not None and not scope.county_wide:
        case_seen = scope.clause(Case.unit_id, Case.area_id)
        warning_seen = scope.clause(WarningMember.unit_id, WarningMember.area_id)
        query = query.where(
            member.c.cid.in_(select(Case.cluster_id).where(case_seen))
            | member.c.cid.in_(select(WarningMember.cluster_id).where(warning_seen))
        )
    found = session.execute(query.limit(limit)).all()
    ids = [k for k, _ in found]
    if not ids:
        return []
    cases_of: dict[int, list[Case]] = {}
    warnings_of: dict[int, list[WarningMember]] = {}
    for c in session.scalars(select(Case).where(Case.cluster_id.in_(ids)).order_by(Case.id)):
        cases_of.setdefault(c.cluster_id or 0, []).append(c)
    for w in session.scalars(
        select(WarningMember).where(WarningMember.cluster_id.in_(ids)).order_by(WarningMember.warning_id)
    ):
        warnings_of.setdefault(w.cluster_id or 0, []).append(w)
    shown_cases = set(session.scalars(select(Case.id).where(Case.cluster_id.in_(ids), case_seen)))
    shown_warnings = set(
        session.scalars(select(WarningMember.warning_id).where(WarningMember.cluster_id.in_(ids), warning_seen))
    )
    # Each cluster's keys with the members holding them (a case by its id, a warning by minus its id), and
    # the source id of the event that gave a warning each key.
    holders: dict[int, dict[Key, list[int]]] = {}
    named_by: dict[tuple[int, Key], str] = {}
    cluster_of = {c.id: c.cluster_id or 0 for cs in cases_of.values() for c in cs}
    case_ids = sorted(cluster_of)
    for i in range(0, len(case_ids), 500):
        rows = session.execute(
            select(CaseIdentifier.case_id, CaseIdentifier.kind, CaseIdentifier.value).where(
                CaseIdentifier.case_id.in_(case_ids[i : i + 500]), CaseIdentifier.linkable.is_(True)
            )
        )
        for case_id, kind, value in rows:
            holders.setdefault(cluster_of[case_id], {}).setdefault((kind, value), []).append(case_id)
    warning_cluster = {w.warning_id: w.cluster_id or 0 for ws in warnings_of.values() for w in ws}
    warning_ids = sorted(warning_cluster)
    for i in range(0, len(warning_ids), 500):
        wrows = session.execute(
            select(WarningIdentifier.warning_id, WarningIdentifier.kind, WarningIdentifier.value, WarningIdentifier.source_id)
            .where(WarningIdentifier.warning_id.in_(warning_ids[i : i + 500]))
            .order_by(WarningIdentifier.id)
        )  # fmt: skip
        for warning_id, kind, value, source_id in wrows:
            holders.setdefault(warning_cluster[warning_id], {}).setdefault((kind, value), []).append(-warning_id)
            named_by[(warning_id, (kind, value))] = source_id
    counts = key_counts(session, sorted({k for h in holders.values() for k in h}))
    facts = warnings.facts(session, warning_ids) if warnings is not None and warning_ids else {}
    out: list[dict[str, Any]] = []
    for cluster_id, _ in found:
        cases = cases_of.get(cluster_id, [])
        members = warnings_of.get(cluster_id, [])
        seen_cases = [c for c in cases if c.id in shown_cases]
        seen_warnings = [w for w in members if w.warning_id in shown_warnings]
        source_of = {c.id: c.source_id for c in seen_cases}
        linking_keys = sorted(
            (key, held)
            for key, held in holders.get(cluster_id, {}).items()
            if len(held) >= 2 and not rules.blocked(key, counts.get(key, 0))
        )
        links = [
            {
                "kind": k,
                "kind_name": KIND_NAMES[CaseIdentifierKind(k)],
                "value": v,
                "case_ids": sorted(m for m in held if m > 0),
                "source_ids": [source_of[m] for m in sorted(held) if m in source_of],
                "warning_ids": sorted(-m for m in held if m < 0),
                "warning_source_ids": sorted(named_by[(-m, (k, v))] for m in held if m < 0 and -m in shown_warnings),
            }
            for (k, v), held in linking_keys
        ]
        shares: dict[int, list[dict[str, str]]] = {}
        for (k, v), held in linking_keys:
            for m in held:
                if m < 0:
                    shares.setdefault(-m, []).append({"kind": k, "value": v, "source_id": named_by[(-m, (k, v))]})
        out.append(
            {
                "cluster_id": cluster_id,
                "size": len(cases),
                "warning_count": len(members),
                "members": len(cases) + len(members),
                "counties": sorted({c.county_code for c in cases} | {w.county_code for w in members}),
                "loss_yuan": f"{sum(c.loss_fen for c in cases) / 100:.2f}",
                "cases": [
                    {
                        "id": c.id,
                        "source": c.source.value,
                        "source_id": c.source_id,
                        "county_code": c.county_code,
                        "station_id": c.area_id,
                        "reported_at": c.reported_at.isoformat(),
                        "loss_yuan": f"{c.loss_fen / 100:.2f}",
                        "fraud_type": c.fraud_type,
                    }
                    for c in seen_cases
                ],
                "hidden_cases": len(cases) - len(seen_cases),
                "warnings": [
                    _warning_view(w, shares.get(w.warning_id, []), facts.get(w.warning_id))
                    for w in sorted(seen_warnings, key=lambda w: -w.warning_id)
                ],
                "hidden_warnings": len(members) - len(seen_warnings),
                "links": links,
            }
        )
    return out


def _warning_view(w: WarningMember, shares: list[dict[str, str]], facts: WarningFacts | None) -> dict[str, Any]:
    """A warning as a cluster lists it: no personal data (the person warned is not shown), the source ids of
    the events that named its linking identifiers, and those identifiers."""
    return {
        "warning_id": w.warning_id,
        "source_ids": sorted({s["source_id"] for s in shares}),
        "at": w.at.isoformat(),
        "county_code": w.county_code,
        "station_id": w.area_id,
        "level": facts.level if facts else None,
        "outcome": facts.outcome if facts else None,
        "identifiers": shares,
    }


def blocked_values(session: Session, rules: LinkRules, *, limit: int = 500) -> list[dict[str, Any]]:
    """The values kept from linking, most common first, each with how many members hold it (`cases` and
    `warnings`, `members` in all) and why: `stoplist` (the county's list) or `cap` (more members than the cap)."""
    held = union_all(
        select(CaseIdentifier.kind, CaseIdentifier.value).where(CaseIdentifier.linkable.is_(True)),
        select(WarningIdentifier.kind, WarningIdentifier.value),
    ).subquery()
    over = session.execute(
        select(held.c.kind, held.c.value)
        .group_by(held.c.kind, held.c.value)
        .having(func.count() > rules.cap)
        .order_by(func.count().desc())
        .limit(limit)
    ).all()
    keys = sorted({(k, v) for k, v in over} | set(rules.stoplist))
    cases, warnings = holder_counts(session, keys)
    rows = [
        {
            "kind": k,
            "value": v,
            "cases": cases.get((k, v), 0),
            "warnings": warnings.get((k, v), 0),
            "members": cases.get((k, v), 0) + warnings.get((k, v), 0),
            "reason": "stoplist" if (k, v) in rules.stoplist else "cap",
        }
        for k, v in keys
        if (k, v) in cases or (k, v) in warnings
    ]
    rows.sort(key=lambda r: (-int(r["members"]), str(r["kind"]), str(r["value"])))
    return rows[:limit]
