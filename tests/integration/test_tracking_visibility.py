"""A theft reported in one place is seen by the intake everywhere else, at once.

The browser suite once saw a detection after a reported theft raise no alert (the same test alone did):
the API answered `POST /tracking/thefts` before its unit of work committed (a request-scoped dependency
exits after the response is sent), so a feed acting on the answer read the tag as not stolen. And the
intake keeps caches (stations, tags): a theft committed by another process must still be seen by the next
batch of a process whose caches are warm.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from pingan.bootstrap import bootstrap
from pingan.core.db import Database
from pingan.core.identity import Actor
from pingan.core.models import User
from pingan.tracking.models import Tag, TagStatus
from pingan.tracking.schemas import TheftCreate
from tests.integration.tracking_world import TR, TrackingWorld, at, build_tracking_world


@pytest.fixture(name="tw")
def tracking_world(db: Database, tmp_path: Path) -> Iterator[TrackingWorld]:
    world = build_tracking_world(db, tmp_path)
    yield world
    world.client.close()
    world.w.services.desk.close()


def test_a_reported_theft_is_committed_before_the_answer_is_sent(tw: TrackingWorld) -> None:
    app = tw.client.app
    seen: dict[str, Any] = {}

    async def probe(scope: Any, receive: Any, send: Any) -> None:
        async def spy(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and scope["path"].endswith("/thefts"):
                # Another connection, as the MQTT consumer in another process would read it.
                with tw.w.services.db.session() as session:
                    seen["status"] = session.scalar(select(Tag.status).where(Tag.code == "CARD-1"))
            await send(message)

        await app(scope, receive, spy)

    with TestClient(probe) as client:
        response = client.post(
            f"{TR}/thefts", json={"tag": "CARD-1", "stolen_at": at(-60)}, headers=tw.w.staff("officer_a1")
        )
    assert response.status_code == 201, response.text
    assert seen == {"status": TagStatus.STOLEN}


def test_a_theft_committed_elsewhere_is_seen_by_an_intake_with_warm_caches(tw: TrackingWorld) -> None:
    first = tw.detect({"tag": "CARD-1", "at": at(-30), "station": "S1"})
    assert first["accepted"] == 1
    assert first["alerts"] == []
    # Another process (its own engine and services) reports the theft while this one's caches are warm.
    other_db = Database(tw.w.services.db.url)
    other = bootstrap(tw.w.services.settings, db=other_db, clock=tw.w.clock)
    try:
        with other.db.session() as session:
            user = session.scalars(select(User).where(User.username == "officer_a1")).one()
            other.tracking.report_theft(
                session, Actor.of(user), TheftCreate.model_validate({"tag": "CARD-1", "stolen_at": at(-10)})
            )
    finally:
        other.close()
        other_db.dispose()
    seen = tw.w.services.tracking.ingest([{"tag": "CARD-1", "at": at(-5), "station": "S3"}])
    assert seen.accepted == 1
    assert len(seen.alerts) == 1
