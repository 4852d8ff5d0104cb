"""What an admin keeps for the desk: routing rules, community officers' cards, DingTalk robots."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from pingan.core.clock import Clock
from pingan.core.db import Database
from pingan.core.errors import BadInput, Forbidden, NotFound
from pingan.core.identifiers import mask_phone
from pingan.core.identity import Actor
from pingan.core.models import COUNTY_WIDE_ROLES, Area, Role, Unit, UnitKind, User
from pingan.core.scope import Scope, manages_account, scope_of
from pingan.desk.directory import DirectoryCache, rule_of
from pingan.desk.models import DeskOfficer, DeskRoutingRule, DingTalkRobot, DingTalkSend
from pingan.desk.places import Places
from pingan.desk.rules.kinds import TOPICS_OF
from pingan.desk.rules.routing import Place, RouteRule, RuleError, check_rule, choose, resolve
from pingan.desk.schemas import (
    OfficerPublic,
    OfficerUpdate,
    RobotCreate,
    RobotPublic,
    RouteDecisionPublic,
    RoutePreview,
    RoutingRuleCreate,
    RoutingRulePublic,
    RoutingRuleUpdate,
)

OFFICER_ROLES = frozenset({Role.OFFICER, Role.STATION_HEAD})


def require_admin(actor: Actor) -> None:
    if actor.role is not Role.ADMIN:
        raise Forbidden("仅管理员可以操作")


def _rule_public(rule: RouteRule, row: DeskRoutingRule | None) -> RoutingRulePublic:
    return RoutingRulePublic(
        id=rule.id,
        source="admin" if row is not None else "county_file",
        priority=rule.priority if row is not None else None,
        name=row.name if row is not None else "",
        category=rule.category.value if rule.category else None,
        topic=rule.topic.value if rule.topic else None,
        area_id=rule.area_id,
        target=rule.target.value,
        specialty=rule.specialty.value if rule.specialty else None,
        unit_id=rule.unit_id,
        triage=rule.triage,
        active=row.active if row is not None else True,
        note=row.note if row is not None else None,
        description=rule.describe(),
    )


class DeskAdmin:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        directory: DirectoryCache,
        places: Places,
        on_robots_changed: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.directory = directory
        self.places = places
        self.on_robots_changed = on_robots_changed

    # -- routing rules ---------------------------------------------------------------------------

    def rules(self, session: Session, actor: Actor) -> list[RoutingRulePublic]:
        """Admin rules (active and inactive) in the order they are tried, then the county file's defaults."""
        if actor.role not in (Role.ADMIN, Role.COMMANDER):
            raise Forbidden("仅管理员或情指中心可以查看分流规则")
        rows = {r.id: r for r in session.scalars(select(DeskRoutingRule))}
        active = [rule for rule in self.directory.snapshot(session).rules if rule.id is not None]
        inactive = [rule_of(r) for r in rows.values() if not r.active]
        out = [_rule_public(rule, rows[rule.id]) for rule in (*active, *inactive) if rule.id is not None]
        out += [_rule_public(rule, None) for rule in self.directory.defaults]
        return out

    def _validate(self, session: Session, rule: RouteRule) -> None:
        # An update has already set the row's new ids: an autoflush before they are checked would send
        # a missing one to the database, whose foreign key refuses it with an IntegrityError (a 500).
        with session.no_autoflush:
            self._check_rule(session, rule)

    def _check_rule(self, session: Session, rule: RouteRule) -> None:
        try:
            check_rule(rule)
        except RuleError as exc:
            raise BadInput(str(exc), field=exc.field, code="invalid_rule") from None
        if rule.area_id is not None and session.get(Area, rule.area_id) is None:
            raise BadInput("辖区不存在", field="area_id")
        if rule.unit_id is not None:
            unit = session.get(Unit, rule.unit_id)
            if unit is None:
                raise BadInput("单位不存在", field="unit_id")
            if rule.target.value == "governance" and unit.kind is not UnitKind.GOVERNANCE:
                raise BadInput("分流规则须指向治理部门", field="unit_id")
            if rule.target.value == "specialty" and unit.kind is not UnitKind.SPECIALTY:
                raise BadInput("警种规则须指向警种单位", field="unit_id")
        if rule.topic is not None and rule.category is not None and rule.topic not in TOPICS_OF[rule.category]:
            raise BadInput("该类别不含此主题", field="topic")

    def create_rule(self, actor: Actor, body: RoutingRuleCreate) -> RoutingRulePublic:
        require_admin(actor)
        now = self.clock.now()
        with self.db.session() as session:
            row = DeskRoutingRule(**body.model_dump(), created_by=actor.id, created_at=now, updated_at=now)
            self._validate(session, rule_of(row))
            session.add(row)
            session.flush()
            DirectoryCache.bump(session)
            public = _rule_public(rule_of(row), row)
        self.directory.invalidate()
        return public

    def update_rule(self, actor: Actor, rule_id: int, body: RoutingRuleUpdate) -> RoutingRulePublic:
        require_admin(actor)
        with self.db.session() as session:
            row = session.get(DeskRoutingRule, rule_id)
            if row is None:
                raise NotFound("规则不存在", field="rule_id")
            changes: dict[str, Any] = body.model_dump(exclude_unset=True)
            for key in ("priority", "target", "triage", "active", "name"):
                if key in changes and changes[key] is None:
                    raise BadInput("不能清空该字段", field=key)
            for key, value in changes.items():
                setattr(row, key, value)
            self._validate(session, rule_of(row))
            row.updated_at = self.clock.now()
            session.flush()
            DirectoryCache.bump(session)
            public = _rule_public(rule_of(row), row)
        self.directory.invalidate()
        return public

    def delete_rule(self, actor: Actor, rule_id: int) -> None:
        require_admin(actor)
        with self.db.session() as session:
            row = session.get(DeskRoutingRule, rule_id)
            if row is None:
                raise NotFound("规则不存在", field="rule_id")
            session.delete(row)
            DirectoryCache.bump(session)
        self.directory.invalidate()

    def preview(self, session: Session, actor: Actor, body: RoutePreview) -> RouteDecisionPublic:
        """Where a request of this kind at this place would go now (nothing is stored)."""
        if actor.role not in (Role.ADMIN, Role.COMMANDER):
            raise Forbidden("仅管理员或情指中心可以试算分流")
        place = Place(None, None)
        if body.lon is not None and body.lat is not None:
            _lon, _lat, place = self.places.point(session, body.lon, body.lat, body.crs)
        elif body.address:
            place = self.places.address(session, body.address) or place
        snapshot = self.directory.snapshot(session)
        decision = resolve(choose(snapshot.rules, body.category, body.topic, place), body.category, place, snapshot)
        unit = session.get(Unit, decision.unit_id) if decision.unit_id else None
        user = session.get(User, decision.assignee_id) if decision.assignee_id else None
        return RouteDecisionPublic(
            route=decision.route.value,
            unit_id=decision.unit_id,
            unit=unit.name if unit else None,
            assignee_id=decision.assignee_id,
            assignee=user.display_name if user else None,
            suggested_unit_id=decision.suggested_unit_id,
            rule_id=decision.rule_id,
            explanation=decision.explanation,
            station_id=place.station_id,
            community_id=place.community_id,
        )

    # -- officers' cards -------------------------------------------------------------------------

    def officers(self, session: Session, actor: Actor, *, area_id: int | None = None) -> list[OfficerPublic]:
        if actor.role not in (Role.ADMIN, Role.COMMANDER, Role.STATION_HEAD):
            raise Forbidden("当前角色不能查看社区民警配置")
        query = select(DeskOfficer, User).join(User, User.id == DeskOfficer.user_id).order_by(DeskOfficer.id)
        if area_id is not None:
            query = query.where(DeskOfficer.area_id == area_id)
        if actor.role not in COUNTY_WIDE_ROLES:  # a station head: the station's own officers
            query = query.where(User.unit_id == actor.unit_id)
        else:
            scope = _scope(session, actor)
            if not scope.county_wide:  # a county of several: its own officers and areas only
                query = query.where(
                    or_(User.unit_id.in_(sorted(scope.unit_ids)), DeskOfficer.area_id.in_(sorted(scope.area_ids)))
                )
        rows = session.execute(query).all()
        names = (
            dict(session.execute(select(Area.id, Area.name).where(Area.id.in_({c.area_id for c, _ in rows}))).all())
            if rows
            else {}
        )
        reveal = actor.role is Role.ADMIN  # who maintains the cards; the others see whom to ask, not the number
        return [_officer_public(card, user, names.get(card.area_id), reveal=reveal) for card, user in rows]

    def set_officer(self, actor: Actor, user_id: int, body: OfficerUpdate) -> OfficerPublic:
        """Make a user the community officer of an area, with the card residents see."""
        require_admin(actor)
        with self.db.session() as session:
            scope = _scope(session, actor)
            user = session.get(User, user_id)
            if user is None or user.role not in OFFICER_ROLES or not manages_account(scope, user.unit_id):
                raise BadInput("用户不存在或不是民警", field="user_id")
            area = session.get(Area, body.area_id)
            if area is None or not (scope.county_wide or area.id in scope.area_ids):
                raise BadInput("辖区不存在", field="area_id")
            card = session.scalar(select(DeskOfficer).where(DeskOfficer.user_id == user_id))
            if card is None:
                card = DeskOfficer(user_id=user_id, updated_at=self.clock.now(), **body.model_dump())
                session.add(card)
            else:
                for key, value in body.model_dump().items():
                    setattr(card, key, value)
                card.updated_at = self.clock.now()
            session.flush()
            public = _officer_public(card, user, area.name)
        self.directory.invalidate()
        return public

    # -- DingTalk robots -------------------------------------------------------------------------

    def robots(self, session: Session, actor: Actor) -> list[RobotPublic]:
        require_admin(actor)
        rows = list(session.scalars(select(DingTalkRobot).order_by(DingTalkRobot.id)))
        out = []
        for robot in rows:
            sends = session.scalars(
                select(DingTalkSend).where(DingTalkSend.robot_id == robot.id).order_by(DingTalkSend.id.desc()).limit(5)
            )
            out.append(_robot_public(robot, list(sends)))
        return out

    def add_robot(self, actor: Actor, body: RobotCreate) -> RobotPublic:
        require_admin(actor)
        with self.db.session() as session:
            if body.unit_id is not None and session.get(Unit, body.unit_id) is None:
                raise BadInput("单位不存在", field="unit_id")
            if body.user_id is not None:
                user = session.get(User, body.user_id)
                if user is None or user.role is Role.RESIDENT:
                    raise BadInput("用户不存在或不是工作人员", field="user_id")
            row = DingTalkRobot(**body.model_dump(), active=True, created_at=self.clock.now())
            session.add(row)
            session.flush()
            public = _robot_public(row, [])
        self.on_robots_changed()
        return public

    def remove_robot(self, actor: Actor, robot_id: int) -> None:
        require_admin(actor)
        with self.db.session() as session:
            row = session.get(DingTalkRobot, robot_id)
            if row is None:
                raise NotFound("机器人不存在", field="robot_id")
            row.active = False
        self.on_robots_changed()


def _officer_public(card: DeskOfficer, user: User, area: str | None, *, reveal: bool = True) -> OfficerPublic:
    return OfficerPublic(
        user_id=user.id,
        name=user.display_name,
        unit_id=user.unit_id,
        area_id=card.area_id,
        area=area,
        hours=card.hours,
        contact_phone=card.contact_phone if reveal or card.contact_phone is None else mask_phone(card.contact_phone),
        office=card.office,
        intro=card.intro,
        active=card.active,
    )


def _robot_public(robot: DingTalkRobot, sends: list[DingTalkSend]) -> RobotPublic:
    base, _, _query = robot.webhook.partition("?")
    return RobotPublic(
        id=robot.id,
        name=robot.name,
        unit_id=robot.unit_id,
        user_id=robot.user_id,
        webhook=base + ("?access_token=***" if _query else ""),
        signed=bool(robot.secret),
        active=robot.active,
        last_sends=[
            {"at": s.at.isoformat(), "ok": s.ok, "status_code": s.status_code, "errcode": s.errcode, "error": s.error}
            for s in sends
        ],
    )


def _scope(session: Session, actor: Actor) -> Scope:
    """The acting user's scope (a county of several: its own county's)."""
    user = session.get(User, actor.id)
    if user is None:
        raise Forbidden("用户不存在")
    return scope_of(session, user)
