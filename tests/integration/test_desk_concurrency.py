"""Posts arriving together are group-committed: many threads, one SQLite file (or PostgreSQL), every post
answered once, nothing lost, nothing doubled, and one bad post does not sink the others."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from pingan.core.db import Database
from pingan.core.identity import Actor
from pingan.core.models import Task
from pingan.desk.models import DeskMessage, DeskRequest
from pingan.desk.schemas import DeskRequestCreate
from pingan.desk.service import Posted
from tests.integration.test_desk_api import POINT_A1, World, build_world


@pytest.fixture(params=["sqlite-file", pytest.param("postgresql", marks=pytest.mark.postgres)])
def file_world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """A world on a database that threads really share (not the single in-memory connection)."""
    if request.param == "sqlite-file":
        url = f"sqlite:///{tmp_path / 'desk.db'}"
    else:
        url = request.getfixturevalue("fresh_postgres_url")
    db = Database(url)
    db.create_all()
    world = build_world(db, tmp_path)
    yield world
    world.client.close()
    world.services.desk.close()
    db.dispose()


def _body(i: int, **changes: Any) -> DeskRequestCreate:
    base: dict[str, Any] = {
        "category": "hazard",
        "text": f"第{i}号楼前路灯不亮",
        "lon": POINT_A1[0] + i * 0.0005,
        "lat": POINT_A1[1],
        "crs": "wgs84",
    }
    return DeskRequestCreate.model_validate(base | changes)


def _post_all(world: World, jobs: list[tuple[Actor, DeskRequestCreate]]) -> list[Posted | Exception]:
    """Post all at once from as many threads; each post's answer, or what it raised to its caller."""
    gate = threading.Barrier(len(jobs))

    def one(job: tuple[Actor, DeskRequestCreate]) -> Posted | Exception:
        gate.wait()
        try:
            return world.services.desk.requests.post(*job)
        except Exception as exc:
            return exc

    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(one, jobs))


def _count(world: World, model: Any) -> int:
    with world.services.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_posts_arriving_together_are_all_stored_once_in_shared_transactions(
    file_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = file_world.services.desk.requests
    real, sizes = service._write_batch, []

    def spy(batch: list[Any]) -> None:
        sizes.append(len(batch))
        real(batch)

    monkeypatch.setattr(service, "_write_batch", spy)
    actors = [file_world.actor_for_phone(f"1360000{i:04d}") for i in range(24)]
    results = _post_all(file_world, [(actor, _body(i)) for i, actor in enumerate(actors)])
    assert sum(sizes) == 24
    assert max(sizes) > 1  # some posts were written together
    assert all(isinstance(r, Posted) and r.created for r in results), results
    ids = [r.request_id for r in results if isinstance(r, Posted)]
    assert len(set(ids)) == 24
    assert _count(file_world, DeskRequest) == _count(file_world, Task) == _count(file_world, DeskMessage) == 24
    with file_world.services.db.session() as session:
        refs = set(session.scalars(select(Task.ref_id)))
    assert refs == set(ids)


def test_the_same_post_twice_at_once_is_stored_once(file_world: World) -> None:
    me = file_world.actor_for_phone("13600001001")
    results = _post_all(file_world, [(me, _body(1, client_ref="same-key")) for _ in range(6)])
    posted = [r for r in results if isinstance(r, Posted)]
    assert len(posted) == 6
    assert len({r.request_id for r in posted}) == 1
    assert sum(r.created for r in posted) == 1
    assert _count(file_world, DeskRequest) == 1


def test_one_post_failing_to_write_does_not_sink_the_others(file_world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    service = file_world.services.desk.requests
    real = service._open_task

    def sometimes(session: Any, values: dict[str, Any], *args: Any) -> Task:
        if "坏" in values["text"]:
            raise RuntimeError("a bug on this one post")
        return real(session, values, *args)

    monkeypatch.setattr(service, "_open_task", sometimes)
    actors = [file_world.actor_for_phone(f"1360000{i:04d}") for i in range(100, 112)]
    jobs = [(a, _body(i, text="坏了" if i == 5 else f"第{i}号楼前路灯不亮")) for i, a in enumerate(actors)]
    outcomes = _post_all(file_world, jobs)
    failures = [o for o in outcomes if not isinstance(o, Posted)]
    assert len(failures) == 1
    assert isinstance(failures[0], RuntimeError)
    assert "a bug on this one post" in str(failures[0])
    assert _count(file_world, DeskRequest) == _count(file_world, Task) == 11
