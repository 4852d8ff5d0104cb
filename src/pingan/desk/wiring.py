"""The desk's services, built once by `pingan.bootstrap.bootstrap()` on top of the core's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import httpx

from pingan.core.areas import Jurisdictions
from pingan.core.clock import Clock
from pingan.core.db import Database
from pingan.core.notify import Notifier
from pingan.core.outbox import Outbox
from pingan.core.settings import Settings
from pingan.core.tasks import TaskService
from pingan.desk.admin import DeskAdmin
from pingan.desk.dingtalk import DINGTALK, DingTalkClient, DingTalkDelivery
from pingan.desk.media import MediaLinks, MediaStore
from pingan.desk.otp import LoggingSmsGateway, OtpPolicy, OtpService, SmsGateway
from pingan.desk.places import Places
from pingan.desk.ports import FraudReports
from pingan.desk.pushes import PushService
from pingan.desk.residents import Residents
from pingan.desk.rules.county import DeskRules
from pingan.desk.service import FRAUD_REPORT, DeskService


@dataclass
class Desk:
    requests: DeskService
    residents: Residents
    otp: OtpService
    pushes: PushService
    admin: DeskAdmin
    media: MediaStore
    links: MediaLinks
    places: Places
    dingtalk: DingTalkDelivery | None

    def close(self) -> None:
        if self.dingtalk is not None:
            self.dingtalk.close()


def dingtalk_delivery(
    settings: Settings,
    db: Database,
    clock: Clock,
    outbox: Outbox,
    *,
    transport: httpx.BaseTransport | None = None,
) -> DingTalkDelivery | None:
    """The notifier's DingTalk delivery (None when switched off), its outbox handler registered."""
    if not settings.desk_dingtalk_enabled:
        return None
    client = DingTalkClient(clock, timeout=settings.desk_dingtalk_timeout_seconds, transport=transport)
    delivery = DingTalkDelivery(db, clock, client, outbox, public_url=settings.desk_public_url)
    outbox.register_external(DINGTALK, delivery.post)
    return delivery


def build_desk(
    settings: Settings,
    db: Database,
    clock: Clock,
    rules: DeskRules,
    tasks: TaskService,
    jurisdictions: Jurisdictions,
    reports: FraudReports,
    notifier: Notifier,
    outbox: Outbox,
    *,
    sms: SmsGateway | None = None,
    dingtalk: DingTalkDelivery | None = None,
) -> Desk:
    places = Places(jurisdictions)
    media = MediaStore(
        settings.media_dir,
        max_image_bytes=settings.desk_max_image_bytes,
        max_audio_bytes=settings.desk_max_audio_bytes,
        max_files=settings.desk_max_files,
    )
    requests = DeskService(db, clock, rules, tasks, places, reports, notifier, media, outbox)
    outbox.register(FRAUD_REPORT, requests.report_fraud)
    otp = OtpService(
        db,
        clock,
        settings.signing_key(),
        sms or LoggingSmsGateway(),
        OtpPolicy(
            ttl_seconds=settings.desk_otp_ttl_seconds,
            length=settings.desk_otp_length,
            max_attempts=settings.desk_otp_max_attempts,
            resend_seconds=settings.desk_otp_resend_seconds,
            show_code=settings.desk_otp_show_code,
            per_phone_hour=settings.desk_otp_per_phone_hour,
            per_phone_day=settings.desk_otp_per_phone_day,
            per_client_hour=settings.desk_otp_per_client_hour,
        ),
    )
    residents = Residents(
        db,
        clock,
        places,
        secret=settings.signing_key(),
        token_ttl=timedelta(minutes=settings.desk_resident_token_minutes),
    )
    admin = DeskAdmin(
        db,
        clock,
        requests.directory,
        places,
        on_robots_changed=dingtalk.invalidate if dingtalk is not None else (lambda: None),
    )
    return Desk(
        requests=requests,
        residents=residents,
        otp=otp,
        pushes=PushService(db, clock, rules),
        admin=admin,
        media=media,
        links=MediaLinks(settings.signing_key()),
        places=places,
        dingtalk=dingtalk,
    )
