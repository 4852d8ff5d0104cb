"""The demo's warning campaign: built from its generated cases, sent to the elderly of the station most hit by the
most common type, its text messages delivered by the outbox and counted on the campaign."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from pingan.bootstrap import bootstrap
from pingan.core.db import Database
from pingan.core.settings import Settings
from pingan.demo.campaigns import DemoSmsGateway, send_demo_campaign
from pingan.demo.run import build_county
from pingan.money.models import Campaign, Case


def test_the_demo_sends_a_campaign_whose_messages_are_delivered_and_counted(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'demo.db'}")
    db.create_all()
    sms = DemoSmsGateway()
    services = bootstrap(Settings(database_url=db.url), db=db, sms=sms)
    try:
        build_county(services, residents=1500, seed=11, console=Console(quiet=True))
        campaign = send_demo_campaign(services)
        assert campaign is not None
        assert campaign["group"] == "elderly"
        with db.session() as s:
            types = [t for (t,) in s.query(Case.fraud_type).filter(Case.area_id == campaign["areas"][0]["id"])]
        assert campaign["fraud_type"] in types
        assert campaign["sms"]["targeted"] > 0
        services.outbox.run_until_idle()
        with db.session() as s:
            row = s.get(Campaign, campaign["id"])
            assert row is not None
            shown = services.campaigns.view(s, row)
        assert shown["sms"]["sent"] == campaign["sms"]["targeted"] == sms.campaign_sent
    finally:
        services.close()
