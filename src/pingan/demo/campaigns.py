"""The demo's warning campaign (精准宣防): from the generated cases, the most common fraud type and the station
where most of its victims live, a warning to that station's elderly through the desk's pushes and by SMS, sent
as the anti-fraud centre's analyst; the demo's outbox worker sends the messages and the campaign counts them.

The demo has no SMS gateway: the campaign's messages are counted and logged at debug level (the sign-in codes
residents need are still logged as the desk logs them)."""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from sqlalchemy import select

from pingan.bootstrap import Services
from pingan.core.identity import Actor
from pingan.core.models import User
from pingan.core.scope import scope_of
from pingan.desk.otp import LoggingSmsGateway
from pingan.money.campaigns import CampaignCreate
from pingan.money.models import CampaignGroup, Case

log = logging.getLogger(__name__)
CAMPAIGN_PREFIX = "【平安反诈】"


class DemoSmsGateway:
    """The demo's SMS: a campaign's warnings are counted (not one log line each), anything else (sign-in codes)
    goes to the log as the desk's logging gateway writes it."""

    def __init__(self) -> None:
        self.plain = LoggingSmsGateway()
        self.campaign_sent = 0

    def send(self, phone: str, text: str) -> None:
        if text.startswith(CAMPAIGN_PREFIX):
            self.campaign_sent += 1
            log.debug("campaign SMS %d", self.campaign_sent)
            return
        self.plain.send(phone, text)


def send_demo_campaign(services: Services, analyst: str = "fzzx") -> dict[str, Any] | None:
    """One campaign from the demo's cases (None when there are none)."""
    with services.db.session() as session:
        rows = session.execute(select(Case.fraud_type, Case.area_id).where(Case.area_id.is_not(None))).all()
        user = session.scalar(select(User).where(User.username == analyst))
        if not rows or user is None:
            return None
        fraud_type = Counter(t for t, _ in rows if t != "other").most_common(1)[0][0]
        area_id = Counter(a for t, a in rows if t == fraud_type).most_common(1)[0][0]
        actor, scope = Actor.of(user), scope_of(session, user)
    body = CampaignCreate(fraud_type=fraud_type, area_ids=[area_id], group=CampaignGroup.ELDERLY)
    return services.campaigns.create(actor, scope, body)
