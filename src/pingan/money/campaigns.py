"""Targeted warning campaigns (精准宣防, A9): from a hot fraud type, a warning to one group in some areas (the
elderly of one town, say), sent through the desk's pushes to the registered residents (E警通) and by SMS to the
registered people of the group, with what was sent and delivered counted on the campaign.

The desk is reached only through the ports of `money.ports` (`WarningPushes`, `TextMessages`), wired in
`pingan.bootstrap`. Each text message is a row here and an outbox message (kind `campaign_sms`): the worker
sends it and marks it sent, so a crash loses none and a retry sends none twice once it is marked.

Residents may opt out of campaign SMS (退订, `OptOuts`): by replying 退订 / TD to a campaign text (the SMS
gateway's inbound messages), on the residents' page, or through an officer on request. A campaign skips an
opted-out phone (its row says `opted_out`, counted as such), and so does the worker if the opt-out came after
the message was queued. Service messages (sign-in codes, the answer to the person's own request or case, the
opt-out's own confirmation) are not campaign SMS and still go.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pingan.core.clock import Clock
from pingan.core.db import Database
from pingan.core.errors import BadInput, Forbidden, NotFound, first_problem
from pingan.core.fields import DbId, FreeText
from pingan.core.identifiers import InvalidIdentifier, mask_phone, normalize_phone
from pingan.core.identity import Actor
from pingan.core.models import COUNTY_WIDE_ROLES, AccessLog, Area, Person, PersonPhone, Role, Unit, UnitKind, User
from pingan.core.outbox import Message, Outbox
from pingan.core.scope import Scope
from pingan.money.models import (
    Campaign,
    CampaignGroup,
    CampaignSms,
    CampaignSmsStatus,
    OptOutAction,
    OptOutChannel,
    SmsOptOut,
    SmsOptOutEvent,
)
from pingan.money.ports import TextMessages, WarningPushes
from pingan.money.schemas import TYPE_NAMES, FraudType

log = logging.getLogger(__name__)

OUTBOX_KIND = "campaign_sms"
ACK_KIND = "sms_opt_out_ack"
"""The confirmation texted after an opt-out or opt-in: a service message, sent whatever the opt-out says."""
OPT_OUT_HINT = "回复TD退订"
"""Appended to every campaign SMS (not to the push): how to stop them."""
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
        self.opt_outs = OptOuts(clock, outbox)
        if sms is not None:
            outbox.register_external(OUTBOX_KIND, self._deliver)
            outbox.register_external(ACK_KIND, self._acknowledge)

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
        targeted: list[tuple[int, str]] = []
        for person_id, birth_year, phone in rows:
            if phone in seen or not _mobile(phone) or not in_age(birth_year, year, ages):
                continue
            seen.add(phone)
            targeted.append((person_id, phone))
        opted_out = self.opt_outs.opted_out(session, seen)
        rows_out = [
            CampaignSms(
                campaign_id=campaign.id,
                person_id=person_id,
                phone=phone,
                status=CampaignSmsStatus.OPTED_OUT if phone in opted_out else CampaignSmsStatus.QUEUED,
                queued_at=now,
            )
            for person_id, phone in targeted
        ]
        session.add_all(rows_out)
        session.flush()
        for row in rows_out:
            if row.status is CampaignSmsStatus.QUEUED:
                self.outbox.put(session, OUTBOX_KIND, {"sms_id": row.id}, f"campaign-sms-{row.id}")
        return len(rows_out)

    def _deliver(self, message: Message) -> None:
        """The outbox's delivery of one text message: sent once it is marked, a failure retried by the outbox."""
        sms_id = int(message.payload["sms_id"])
        with self.db.session() as session:
            row = session.get(CampaignSms, sms_id)
            if row is None or row.status is CampaignSmsStatus.SENT:
                return
            if row.status is CampaignSmsStatus.OPTED_OUT:
                return
            if self.opt_outs.opted_out(session, [row.phone]):
                row.status = CampaignSmsStatus.OPTED_OUT  # opted out after it was queued: not sent
                return
            campaign = session.get(Campaign, row.campaign_id)
            phone, text = row.phone, sms_text(campaign.body if campaign else "")
        if self.sms is None:
            raise RuntimeError("no SMS gateway")
        self.sms.send(phone, text)
        with self.db.session() as session:
            row = session.get(CampaignSms, sms_id)
            if row is not None and row.status is not CampaignSmsStatus.SENT:
                row.status = CampaignSmsStatus.SENT
                row.sent_at = self.clock.now()

    def _acknowledge(self, message: Message) -> None:
        """The opt-out's (or opt-in's) confirmation: a service message, sent whatever the opt-out says."""
        if self.sms is None:
            raise RuntimeError("no SMS gateway")
        self.sms.send(str(message.payload["phone"]), ACK_TEXTS[bool(message.payload["out"])])

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
                "opted_out": sms.get("opted_out", 0),
            },
            "reached": c.push_delivered + sms.get("sent", 0),
        }


def _mobile(phone: str) -> bool:
    return len(phone) == 11 and phone.startswith("1") and phone.isdigit()


def sms_text(body: str) -> str:
    """A campaign's text as texted: its body and how to stop such texts (the push carries the body alone)."""
    return body if OPT_OUT_HINT in body else f"{body}{OPT_OUT_HINT}"


# --- opt-outs (退订) ---------------------------------------------------------------------------------------

ACK_TEXTS = {
    True: "【平安反诈】您已退订反诈宣传短信，与您本人诉求、案件有关的通知不受影响。如需恢复，可登录E警通或联系社区民警。",
    False: "【平安反诈】您已恢复接收反诈宣传短信。回复TD可退订。",
}
CHANNEL_NAMES = {
    OptOutChannel.SMS_REPLY: "短信回复退订",
    OptOutChannel.RESIDENT: "群众在E警通设置",
    OptOutChannel.OFFICER: "民警代为登记",
}
RECORD_ROLES = frozenset({Role.ADMIN, Role.ANALYST, Role.COMMANDER, Role.STATION_HEAD, Role.OFFICER})
"""Staff who record an opt-out (or its end) on the resident's request: a call to the station, a visit."""
LIST_ROLES = frozenset({Role.ADMIN})
_OPT_OUT_WORDS = frozenset(
    {"TD", "T", "R", "N", "STOP", "UNSUBSCRIBE", "退订", "退", "拒收", "取消", "取消订阅", "退订短信"}
)
_NOT_WORDS = ("不退订", "不要退订", "不用退订", "别退订")
_STRIP = re.compile(r"[\s\W_]+", re.UNICODE)


def is_opt_out_reply(text: str) -> bool:
    """Whether an SMS reply asks to stop campaign texts: one of the usual keywords alone (TD, T, R, 退订, 拒收,
    full-width or lowercase, punctuation and a leading 回复 ignored), or a sentence saying 退订 / 拒收 (not
    "不退订")."""
    plain = _STRIP.sub("", unicodedata.normalize("NFKC", text)).upper()
    for prefix in ("回复", "回"):
        if plain.startswith(prefix) and plain[len(prefix) :] in _OPT_OUT_WORDS:
            plain = plain[len(prefix) :]
    if plain in _OPT_OUT_WORDS:
        return True
    if any(word in plain for word in _NOT_WORDS):
        return False
    return "退订" in plain or "拒收" in plain


def opt_out_permit(session: Session, actor: Actor, action: str) -> None:
    """The one decision on opt-outs: `record` (staff, on request), `list` (admins), `inbound` (the SMS gateway:
    a partner account of a telecom unit)."""
    if action == "record" and actor.role in RECORD_ROLES:
        return
    if action == "list" and actor.role in LIST_ROLES:
        return
    if action == "inbound" and actor.role is Role.PARTNER and actor.unit_id is not None:
        unit = session.get(Unit, actor.unit_id)
        if unit is not None and unit.kind is UnitKind.TELECOM:
            return
        raise Forbidden("仅限短信网关（通信运营商单位的对接账号）", code="not_sms_gateway")
    raise Forbidden("当前角色无权进行此操作")


def phone_of(raw: str, field_name: str = "phone") -> str:
    """A mainland mobile in national form, or BadInput naming the field."""
    try:
        phone = normalize_phone(raw)
    except InvalidIdentifier as exc:
        raise BadInput(f"手机号码无效：{exc}", field=field_name, code="invalid_phone") from None
    if not _mobile(phone):
        raise BadInput("须为大陆手机号码", field=field_name, code="invalid_phone")
    return phone


class InboundSms(BaseModel):
    """One message a resident texted back, as the SMS gateway pushes it (上行短信)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    id: Annotated[str, Field(min_length=1, max_length=100)]
    """The gateway's own id of the message: the same message delivered again changes nothing."""
    phone: Annotated[str, Field(min_length=3, max_length=32)]
    text: Annotated[FreeText, Field(max_length=1000)]
    at: AwareDatetime | None = None

    @field_validator("phone")
    @classmethod
    def _phone(cls, v: str) -> str:
        try:
            phone = normalize_phone(v)
        except InvalidIdentifier as exc:
            raise ValueError(str(exc)) from None
        if not _mobile(phone):
            raise ValueError("not a mainland mobile number")
        return phone


@dataclass
class InboundReport:
    opted_out: int = 0
    already: int = 0
    """Opt-out replies from phones already opted out, and messages delivered again (same id)."""
    ignored: int = 0
    """Replies that are not an opt-out (kept by the gateway; nothing here)."""
    rejected: list[dict[str, Any]] = field(default_factory=list)


class OptOuts:
    """The phones that receive no campaign SMS, and the history of every change (who, how, when)."""

    def __init__(self, clock: Clock, outbox: Outbox) -> None:
        self.clock = clock
        self.outbox = outbox

    def opted_out(self, session: Session, phones: Iterable[str]) -> set[str]:
        wanted = sorted(set(phones))
        out: set[str] = set()
        for i in range(0, len(wanted), 500):
            out.update(session.scalars(select(SmsOptOut.phone).where(SmsOptOut.phone.in_(wanted[i : i + 500]))))
        return out

    def state(self, session: Session, phone: str) -> dict[str, Any]:
        """A phone's opt-out as its owner (or the officer recording it) sees it: no one else's data."""
        row = session.get(SmsOptOut, phone)
        return {
            "phone": mask_phone(phone),
            "opted_out": row is not None,
            "since": row.at.isoformat() if row is not None else None,
            "channel": row.channel.value if row is not None else None,
            "channel_name": CHANNEL_NAMES[row.channel] if row is not None else None,
        }

    def change(
        self,
        session: Session,
        phone: str,
        *,
        out: bool,
        channel: OptOutChannel,
        actor_id: int | None,
        note: str | None = None,
        ref: str | None = None,
        confirm: bool = True,
    ) -> bool:
        """Opt `phone` out (`out`) or back in; recorded in the history and confirmed by a service text. Returns
        whether anything changed (opting out twice, or in when never out, records nothing)."""
        row = session.get(SmsOptOut, phone)
        if (row is not None) == out:
            return False
        now = self.clock.now()
        if out:
            session.add(SmsOptOut(phone=phone, at=now, channel=channel, actor_id=actor_id, note=note))
        else:
            session.delete(row)
        event = SmsOptOutEvent(
            at=now,
            phone=phone,
            action=OptOutAction.OPT_OUT if out else OptOutAction.OPT_IN,
            channel=channel,
            actor_id=actor_id,
            ref=ref,
            note=note,
        )
        session.add(event)
        session.flush()
        if confirm:
            self.outbox.put(session, ACK_KIND, {"phone": phone, "out": out}, f"sms-opt-ack-{event.id}")
        return True

    def inbound(self, session: Session, messages: Sequence[Any]) -> InboundReport:
        """The SMS gateway's inbound messages: each opt-out reply opts its phone out (once, by its id); the
        others are counted and left alone; a bad item is reported by its index and field, the good ones kept."""
        report = InboundReport()
        for index, raw in enumerate(messages):
            try:
                msg = InboundSms.model_validate(raw)
            except ValidationError as exc:
                fld, _code, message = first_problem(exc)
                report.rejected.append({"index": index, "field": fld, "message": message})
                continue
            if not is_opt_out_reply(msg.text):
                report.ignored += 1
                continue
            ref = f"sms:{msg.id}"
            if session.scalar(select(SmsOptOutEvent.id).where(SmsOptOutEvent.ref == ref)) is not None:
                report.already += 1
                continue
            try:
                with session.begin_nested():
                    changed = self.change(
                        session, msg.phone, out=True, channel=OptOutChannel.SMS_REPLY, actor_id=None,
                        note=msg.text[:200], ref=ref,
                    )  # fmt: skip
            except IntegrityError:  # the same message delivered twice at once
                report.already += 1
                continue
            if changed:
                report.opted_out += 1
            else:
                report.already += 1
        return report

    def listing(
        self,
        session: Session,
        actor: Actor,
        *,
        q: str | None = None,
        reveal: bool = False,
        purpose: str = "核查短信退订",
        limit: int = 100,
        offset: int = 0,
    ) -> dict[str, Any]:
        """The opt-out list, newest first, phones masked (`reveal`: unmasked, each row's read recorded), with
        who recorded each and how; `q` finds a phone by its digits (a whole number, or its last four)."""
        opt_out_permit(session, actor, "list")
        query = select(SmsOptOut)
        if q:
            digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", q))
            if not digits:
                raise BadInput("请输入手机号码或其后四位", field="q")
            query = query.where(or_(SmsOptOut.phone == digits, SmsOptOut.phone.endswith(digits)))
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = list(session.scalars(query.order_by(SmsOptOut.at.desc(), SmsOptOut.phone).limit(limit).offset(offset)))
        names = dict(
            session.execute(
                select(User.id, User.display_name).where(User.id.in_({r.actor_id for r in rows if r.actor_id}))
            ).all()
        )
        now = self.clock.now()
        items = []
        for r in rows:
            items.append(
                {
                    "phone": r.phone if reveal else mask_phone(r.phone),
                    "at": r.at.isoformat(),
                    "channel": r.channel.value,
                    "channel_name": CHANNEL_NAMES[r.channel],
                    "by": names.get(r.actor_id) if r.actor_id else None,
                    "note": r.note if reveal or r.channel is not OptOutChannel.SMS_REPLY else None,
                }
            )
            if reveal:
                last = session.scalar(
                    select(SmsOptOutEvent.id)
                    .where(SmsOptOutEvent.phone == r.phone)
                    .order_by(SmsOptOutEvent.id.desc())
                    .limit(1)
                )
                session.add(
                    AccessLog(
                        at=now, user_id=actor.id, subject_type="sms_opt_out", subject_id=last or 0,
                        fields="phone", purpose=purpose[:200],
                    )
                )  # fmt: skip
        return {"total": int(total), "masked": not reveal, "items": items}

    def history(self, session: Session, actor: Actor, *, limit: int = 100) -> list[dict[str, Any]]:
        """Every opt-out and opt-in, newest first (masked): the list's audit trail."""
        opt_out_permit(session, actor, "list")
        rows = list(session.scalars(select(SmsOptOutEvent).order_by(SmsOptOutEvent.id.desc()).limit(limit)))
        names = dict(
            session.execute(
                select(User.id, User.display_name).where(User.id.in_({r.actor_id for r in rows if r.actor_id}))
            ).all()
        )
        return [
            {
                "id": r.id,
                "at": r.at.isoformat(),
                "phone": mask_phone(r.phone),
                "action": r.action.value,
                "channel": r.channel.value,
                "channel_name": CHANNEL_NAMES[r.channel],
                "by": names.get(r.actor_id) if r.actor_id else None,
            }
            for r in rows
        ]
