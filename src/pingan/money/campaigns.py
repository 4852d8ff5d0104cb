"""Targeted warning campaigns (精准宣防, A9): from a hot fraud type, a warning to one group in some areas (the
elderly of one town, say), sent through the desk's pushes to the registered residents (E警通) and by SMS to the
registered people of the group, with what was sent and delivered counted on the campaign.

The desk is reached only through the ports of `money.ports` (`WarningPushes`, `TextMessages`), wired in
`pingan.bootstrap`. Each text message is a row here and an outbox message (kind `campaign_sms`): the worker
sends it and marks it sent, so a crash loses none and a retry sends none twice once it is marked.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.core.clock import Clock
from pingan.core.db import Database
from pingan.core.errors import BadInput, Forbidden, NotFound
from pingan.core.fields import DbId, FreeText
from pingan.core.identity import Actor
from pingan.core.models import COUNTY_WIDE_ROLES, Area, Person, PersonPhone, Role
from pingan.core.outbox import Message, Outbox
from pingan.core.scope import Scope
from pingan.money.models import Campaign, CampaignGroup, CampaignSms, CampaignSmsStatus
from pingan.money.ports import TextMessages, WarningPushes
from pingan.money.schemas import TYPE_NAMES, FraudType

log = logging.getLogger(__name__)

OUTBOX_KIND = "campaign_sms"
CAMPAIGN_ROLES = frozenset({Role.ADMIN, Role.ANALYST, Role.STATION_HEAD})
"""The anti-fraud centre (and admin) for any area; a station head for their own station's."""
READ_ROLES = frozenset({*COUNTY_WIDE_ROLES, Role.STATION_HEAD})

GROUP_NAMES = {
    CampaignGroup.ALL: "全体群众",
    CampaignGroup.ELDERLY: "60岁及以上老年人",
    CampaignGroup.YOUNG: "18–35岁青年",
    CampaignGroup.STUDENT: "学生（23岁以下）",
}
GROUP_AGES: dict[CampaignGroup, tuple[int, int] | None] = {
    CampaignGroup.ALL: None,
    CampaignGroup.ELDERLY: (60, 200),
    CampaignGroup.YOUNG: (18, 35),
    CampaignGroup.STUDENT: (6, 22),
}
GROUP_TAGS: dict[CampaignGroup, tuple[str, ...]] = {
    CampaignGroup.ALL: (),
    CampaignGroup.ELDERLY: ("elderly",),
    CampaignGroup.YOUNG: ("student",),
    CampaignGroup.STUDENT: ("student",),
}
"""The desk's resident tags a push is narrowed to (the desk knows `elderly` and `student`)."""

TIPS = {
    "order_brushing": "“刷单返利”都是诈骗！先返小利、再骗大钱，凡是让您垫付资金做任务的，一律不要转账。",
    "investment": "网上“导师”“内幕消息”带您投资理财、高额回报，都是诈骗！正规投资请认准持牌机构。",
    "loan": "网贷先交“保证金”“解冻费”“刷流水”的都是诈骗！正规贷款放款前不收任何费用。",
    "fake_customer_service": "自称电商、快递客服说要“理赔”“退款”“取消会员”，让您开屏幕共享或转账的，都是诈骗！",
    "impersonate_officials": "公检法机关不会电话办案，没有“安全账户”！让您转账、保密、下载会议软件的都是诈骗。",
    "credit_repair": "征信不能“修复”“消除”，让您注销“校园贷”、转账“清空额度”的都是诈骗！",
    "fake_shopping": "低价商品、代购、票务要求私下转账或扫码付款的，小心是诈骗！请走平台交易。",
    "impersonate_acquaintance": "“领导”“熟人”加好友借钱、让转账，请务必电话或当面核实，不要直接转账！",
    "game_trade": "游戏装备、账号私下交易，让您先充值“解冻”“保证金”的都是诈骗！",
    "romance": "网上交友谈感情、再谈钱的，多半是诈骗！对方从不见面、只让转账，请立即停止。",
    "military_purchase": "自称部队采购、先让您垫付货款或联系“指定供应商”的都是诈骗！",
    "gambling": "网络赌博平台都是骗局，充值越多输得越多，还可能被诈骗团伙利用！",
    "other": "凡是让您转账、汇款、提供验证码的陌生来电或信息，都要提高警惕！",
}


class CampaignCreate(BaseModel):
    """A campaign: the fraud type warned of, the areas (stations) and the group; the title and text default to
    the type's warning. `push` and `sms` choose the channels (both by default)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    fraud_type: FraudType
    area_ids: list[DbId] = Field(min_length=1, max_length=200)
    group: CampaignGroup = CampaignGroup.ALL
    title: Annotated[FreeText | None, Field(min_length=1, max_length=100)] = None
    body: Annotated[FreeText | None, Field(min_length=1, max_length=500)] = None
    push: bool = True
    sms: bool = True


def default_text(fraud_type: str, group: CampaignGroup) -> tuple[str, str]:
    name = TYPE_NAMES.get(fraud_type, fraud_type)
    title = f"反诈预警：警惕{name}诈骗"
    body = f"【平安反诈】{TIPS.get(fraud_type, TIPS['other'])}如遇可疑情况请拨打96110或110。"
    return title[:100], body[:500]


def in_age(birth_year: int | None, year: int, ages: tuple[int, int] | None) -> bool:
    if ages is None:
        return True
    if birth_year is None:
        return False
    return ages[0] <= year - birth_year <= ages[1]


class CampaignService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        outbox: Outbox,
        pushes: WarningPushes | None = None,
        sms: TextMessages | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.outbox = outbox
        self.pushes = pushes
        self.sms = sms
        if sms is not None:
            outbox.register_external(OUTBOX_KIND, self._deliver)

    # -- sending -----------------------------------------------------------------------------------------

    def create(self, actor: Actor, scope: Scope, body: CampaignCreate) -> dict[str, Any]:
        """Send a campaign: the push first (the desk's own transaction), then the campaign with its text
        messages queued in one transaction of ours (the outbox delivers them)."""
        if actor.role not in CAMPAIGN_ROLES:
            raise Forbidden("当前角色不能发起宣防推送")
        area_ids = sorted(set(body.area_ids))
        with self.db.session() as session:
            found = dict(session.execute(select(Area.id, Area.name).where(Area.id.in_(area_ids))).all())
        missing = [a for a in area_ids if a not in found]
        if missing:
            raise BadInput(f"辖区不存在：{missing[0]}", field="area_ids", code="no_such_area")
        if not scope.county_wide and any(a not in scope.area_ids for a in area_ids):
            raise Forbidden("只能向本所辖区发起宣防", field="area_ids")
        if not body.push and not body.sms:
            raise BadInput("请至少选择一种发送方式", field="push")
        title, text = default_text(body.fraud_type, body.group)
        title, text = body.title or title, body.body or text
        pushed = None
        if body.push and self.pushes is not None:
            pushed = self.pushes.push(actor, title=title, body=text, area_ids=area_ids, tags=GROUP_TAGS[body.group])
        now = self.clock.now()
        with self.db.session() as session:
            campaign = Campaign(
                fraud_type=body.fraud_type,
                group=body.group,
                area_ids=[{"id": a, "name": found[a]} for a in area_ids],
                title=title,
                body=text,
                push_id=pushed.push_id if pushed else None,
                push_targeted=pushed.targeted if pushed else 0,
                push_delivered=pushed.delivered if pushed else 0,
                push_held=pushed.held if pushed else 0,
                sms_targeted=0,
                created_by=actor.id,
                created_at=now,
            )
            session.add(campaign)
            session.flush()
            if body.sms and self.sms is not None:
                campaign.sms_targeted = self._queue_sms(session, campaign, area_ids, now)
            session.flush()
            return self.view(session, campaign)

    def _queue_sms(self, session: Session, campaign: Campaign, area_ids: Sequence[int], now: datetime) -> int:
        ages = GROUP_AGES[campaign.group]
        rows = session.execute(
            select(Person.id, Person.birth_year, PersonPhone.phone)
            .join(PersonPhone, PersonPhone.person_id == Person.id)
            .where(Person.station_id.in_(area_ids))
            .order_by(Person.id, PersonPhone.phone)
        ).all()
        year = now.year
        seen: set[str] = set()
        queued: list[CampaignSms] = []
        for person_id, birth_year, phone in rows:
            if phone in seen or not _mobile(phone) or not in_age(birth_year, year, ages):
                continue
            seen.add(phone)
            queued.append(
                CampaignSms(
                    campaign_id=campaign.id,
                    person_id=person_id,
                    phone=phone,
                    status=CampaignSmsStatus.QUEUED,
                    queued_at=now,
                )
            )
        session.add_all(queued)
        session.flush()
        for row in queued:
            self.outbox.put(session, OUTBOX_KIND, {"sms_id": row.id}, f"campaign-sms-{row.id}")
        return len(queued)

    def _deliver(self, message: Message) -> None:
        """The outbox's delivery of one text message: sent once it is marked, a failure retried by the outbox."""
        sms_id = int(message.payload["sms_id"])
        with self.db.session() as session:
            row = session.get(CampaignSms, sms_id)
            if row is None or row.status is CampaignSmsStatus.SENT:
                return
            campaign = session.get(Campaign, row.campaign_id)
            phone, text = row.phone, campaign.body if campaign else ""
        if self.sms is None:
            raise RuntimeError("no SMS gateway")
        self.sms.send(phone, text)
        with self.db.session() as session:
            row = session.get(CampaignSms, sms_id)
            if row is not None and row.status is not CampaignSmsStatus.SENT:
                row.status = CampaignSmsStatus.SENT
                row.sent_at = self.clock.now()

    # -- reading -----------------------------------------------------------------------------------------

    def list(self, session: Session, actor: Actor, scope: Scope, *, limit: int = 50) -> list[dict[str, Any]]:
        """Campaigns newest first: every one for the centres, those reaching a station's own areas for its head."""
        if actor.role not in READ_ROLES:
            raise Forbidden("当前角色不能查看宣防推送")
        query = select(Campaign).order_by(Campaign.id.desc())
        if scope.county_wide:
            rows = list(session.scalars(query.limit(limit)))
        else:  # the areas are a JSON list: read the recent ones and keep those reaching the station
            recent = session.scalars(query.limit(max(limit * 20, 500)))
            rows = [c for c in recent if any(a.get("id") in scope.area_ids for a in c.area_ids)][:limit]
        counts = self._sms_counts(session, [c.id for c in rows])
        return [self._public(c, counts.get(c.id, {})) for c in rows]

    def get(self, session: Session, actor: Actor, scope: Scope, campaign_id: int) -> dict[str, Any]:
        if actor.role not in READ_ROLES:
            raise Forbidden("当前角色不能查看宣防推送")
        campaign = session.get(Campaign, campaign_id)
        if campaign is None or not (scope.county_wide or any(a.get("id") in scope.area_ids for a in campaign.area_ids)):
            raise NotFound("宣防推送不存在", field="campaign_id")
        return self.view(session, campaign)

    def view(self, session: Session, campaign: Campaign) -> dict[str, Any]:
        return self._public(campaign, self._sms_counts(session, [campaign.id]).get(campaign.id, {}))

    def _sms_counts(self, session: Session, ids: Sequence[int]) -> dict[int, dict[str, int]]:
        if not ids:
            return {}
        out: dict[int, dict[str, int]] = {}
        for campaign_id, status, n in session.execute(
            select(CampaignSms.campaign_id, CampaignSms.status, func.count())
            .where(CampaignSms.campaign_id.in_(ids))
            .group_by(CampaignSms.campaign_id, CampaignSms.status)
        ):
            out.setdefault(campaign_id, {})[CampaignSmsStatus(status).value] = int(n)
        return out

    def _public(self, c: Campaign, sms: dict[str, int]) -> dict[str, Any]:
        return {
            "id": c.id,
            "fraud_type": c.fraud_type,
            "fraud_type_name": TYPE_NAMES.get(c.fraud_type, c.fraud_type),
            "group": c.group.value,
            "group_name": GROUP_NAMES[c.group],
            "areas": c.area_ids,
            "title": c.title,
            "body": c.body,
            "created_at": c.created_at.isoformat(),
            "created_by": c.created_by,
            "push": {
                "push_id": c.push_id,
                "targeted": c.push_targeted,
                "delivered": c.push_delivered,
                "held": c.push_held,
            },
            "sms": {
                "targeted": c.sms_targeted,
                "queued": sms.get("queued", 0),
                "sent": sms.get("sent", 0),
            },
            "reached": c.push_delivered + sms.get("sent", 0),
        }


def _mobile(phone: str) -> bool:
    return len(phone) == 11 and phone.startswith("1") and phone.isdigit()
