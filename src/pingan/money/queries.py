"""Read models of cases: the list, one case, the clusters and the values kept from linking."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select, true, tuple_
from sqlalchemy.orm import Session

from pingan.core.db import containing
from pingan.core.identifiers import mask_free_text, mask_id_number, mask_name, mask_phone
from pingan.core.models import Area
from pingan.money.extract import KIND_NAMES, CaseIdentifierKind
from pingan.money.linking import Key, LinkRules
from pingan.money.models import Case, CaseIdentifier, CaseStatus, CaseSuspect
from pingan.money.ports import LinkedWarning, WarningLinks
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


def key_counts(session: Session, keys: Sequence[Key]) -> dict[Key, int]:
    out: dict[Key, int] = {}
    for i in range(0, len(keys), 500):
        chunk = keys[i : i + 500]
        rows = session.execute(
            select(CaseIdentifier.kind, CaseIdentifier.value, func.count())
            .where(CaseIdentifier.linkable.is_(True), tuple_(CaseIdentifier.kind, CaseIdentifier.value).in_(chunk))
            .group_by(CaseIdentifier.kind, CaseIdentifier.value)
        )
        out.update({(k, v): n for k, v, n in rows})
    return out


def case_detail(session: Session, case: Case, rules: LinkRules, *, reveal: bool) -> dict[str, Any]:
    """One case with its identifiers (each saying whether it links) and the other cases of its cluster."""
    station = session.get(Area, case.area_id).name if case.area_id else None  # type: ignore[union-attr]
    rows = session.scalars(
        select(CaseIdentifier).where(CaseIdentifier.case_id == case.id).order_by(CaseIdentifier.id)
    ).all()
    counts = key_counts(session, [(r.kind, r.value) for r in rows if r.linkable])
    sizes = _cluster_sizes(session, [case.cluster_id] if case.cluster_id else [])
    view = case_view(case, station, reveal=reveal, cluster_size=sizes.get(case.cluster_id or 0, 1))
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
            "cases": counts.get((r.kind, r.value), 1),
        }
        for r in rows
    ]
    return view


def clusters(
    session: Session,
    rules: LinkRules,
    *,
    visible: ColumnElement[bool] | None = None,
    min_size: int = 2,
    limit: int = 200,
    warnings: WarningLinks | None = None,
    warnings_per_cluster: int = 50,
) -> list[dict[str, Any]]:
    """Clusters of at least `min_size` cases, largest first: their cases' source ids, counties and losses,
    and the identifiers linking them (each with the cases holding it). A cluster is listed when one of its
    cases is `visible`; its cases outside the jurisdiction are counted, not shown. With `warnings`, each
    cluster lists the warnings (people warned, not yet defrauded) whose events named one of its cases'
    identifiers, and which identifier it was (a blocked value links no warning either)."""
    query = (
        select(Case.cluster_id, func.count().label("n"))
        .where(Case.cluster_id.is_not(None))
        .group_by(Case.cluster_id)
        .having(func.count() >= min_size)
        .order_by(func.count().desc(), Case.cluster_id)
    )
    if visible is not None:
        query = query.where(Case.cluster_id.in_(select(Case.cluster_id).where(visible)))
    found = session.execute(query.limit(limit)).all()
    ids = [k for k, _ in found]
    if not ids:
        return []
    members: dict[int, list[Case]] = {}
    shown: set[int] = set()
    member_query = select(Case).where(Case.cluster_id.in_(ids)).order_by(Case.id)
    for case in session.scalars(member_query):
        members.setdefault(case.cluster_id or 0, []).append(case)
    if visible is not None:
        shown = set(session.scalars(select(Case.id).where(Case.cluster_id.in_(ids), visible)))
    case_ids = [c.id for cases in members.values() for c in cases]
    holders: dict[int, dict[Key, list[int]]] = {}
    cluster_of = {c.id: c.cluster_id or 0 for cases in members.values() for c in cases}
    for i in range(0, len(case_ids), 500):
        rows = session.execute(
            select(CaseIdentifier.case_id, CaseIdentifier.kind, CaseIdentifier.value).where(
                CaseIdentifier.case_id.in_(case_ids[i : i + 500]), CaseIdentifier.linkable.is_(True)
            )
        )
        for case_id, kind, value in rows:
            holders.setdefault(cluster_of[case_id], {}).setdefault((kind, value), []).append(case_id)
    every = sorted({k for h in holders.values() for k in h})
    counts = key_counts(session, every)
    linked_warnings: dict[Key, list[LinkedWarning]] = {}
    if warnings is not None and every:
        open_keys = [k for k in every if not rules.blocked(k, counts.get(k, 0))]
        for w in warnings.holding(session, open_keys, warnings_per_cluster * max(len(found), 1)):
            linked_warnings.setdefault((w.kind, w.value), []).append(w)
    out: list[dict[str, Any]] = []
    for cluster_id, size in found:
        cases = members.get(cluster_id or 0, [])
        visible_cases = [c for c in cases if visible is None or c.id in shown]
        links = [
            {
                "kind": k,
                "kind_name": KIND_NAMES[CaseIdentifierKind(k)],
                "value": v,
                "case_ids": sorted(cs),
                "source_ids": [c.source_id for c in cases if c.id in set(cs) and (visible is None or c.id in shown)],
            }
            for (k, v), cs in sorted(holders.get(cluster_id or 0, {}).items())
            if len(cs) >= 2 and not rules.blocked((k, v), counts.get((k, v), 0))
        ]
        out.append(
            {
                "cluster_id": cluster_id,
                "size": size,
                "counties": sorted({c.county_code for c in cases}),
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
                    for c in visible_cases
                ],
                "hidden_cases": len(cases) - len(visible_cases),
                "links": links,
                "warnings": _cluster_warnings(holders.get(cluster_id or 0, {}), linked_warnings, warnings_per_cluster),
            }
        )
    return out


def _cluster_warnings(
    keys: dict[Key, list[int]], linked: dict[Key, list[LinkedWarning]], limit: int
) -> list[dict[str, Any]]:
    """The warnings naming one of a cluster's identifiers, newest first, each with the identifiers it shares."""
    by_warning: dict[int, dict[str, Any]] = {}
    for key in keys:
        for w in linked.get(key, []):
            entry = by_warning.setdefault(
                w.warning_id,
                {"warning_id": w.warning_id, "at": w.at.isoformat(), "station_id": w.area_id, "level": w.level,
                 "outcome": w.outcome, "identifiers": []},
            )  # fmt: skip
            entry["identifiers"].append({"kind": key[0], "value": key[1]})
    return sorted(by_warning.values(), key=lambda e: -int(e["warning_id"]))[:limit]


def blocked_values(session: Session, rules: LinkRules, *, limit: int = 500) -> list[dict[str, Any]]:
    """The values kept from linking, most common first, each with how many cases hold it and why:
    `stoplist` (the county's list) or `cap` (held by more than the cap)."""
    over = session.execute(
        select(CaseIdentifier.kind, CaseIdentifier.value, func.count())
        .where(CaseIdentifier.linkable.is_(True))
        .group_by(CaseIdentifier.kind, CaseIdentifier.value)
        .having(func.count() > rules.cap)
        .order_by(func.count().desc())
        .limit(limit)
    ).all()
    found: dict[Key, int] = {(k, v): n for k, v, n in over}
    found.update(key_counts(session, sorted(rules.stoplist)))
    rows = [
        {"kind": k, "value": v, "cases": n, "reason": "stoplist" if (k, v) in rules.stoplist else "cap"}
        for (k, v), n in found.items()
    ]
    rows.sort(key=lambda r: (-int(r["cases"]), str(r["kind"]), str(r["value"])))
    return rows[:limit]
