"""The collector pause around intake batches: nested and concurrent pauses, and the state it restores."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from pingan.core.gcpause import gc_paused


@pytest.fixture(autouse=True)
def _collector_back_on() -> Iterator[None]:
    yield
    gc.enable()


def test_pause_turns_the_collector_off_and_back_on() -> None:
    gc.enable()
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_nested_pauses_resume_only_at_the_outermost_end() -> None:
    gc.enable()
    with gc_paused():
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_switched_off_by_the_application_stays_off() -> None:
    gc.disable()
    with gc_paused():
        pass
    assert not gc.isenabled()


def test_the_collector_resumes_after_an_error() -> None:
    gc.enable()
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_overlapping_pauses_on_two_threads() -> None:
    gc.enable()
    inside, release = threading.Event(), threading.Event()

    def other() -> None:
        with gc_paused():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=other)
    with gc_paused():
        thread.start()
        assert inside.wait(5)
    assert not gc.isenabled()  # this thread's pause ended, the other's has not
    release.set()
    thread.join(5)
    assert gc.isenabled()


def test_settle_heap_freezes_what_is_alive_and_collects_the_rest() -> None:
    import weakref

    from pingan.core.gcpause import settle_heap

    class Node:
        def __init__(self) -> None:
            self.me = self  # a cycle: only the collector frees it

    garbage = Node()
    gone = weakref.ref(garbage)
    del garbage
    kept = [object()]
    gc.unfreeze()
    try:
        settle_heap()
        assert gone() is None  # start-up garbage collected first
        assert gc.get_freeze_count() > 0
        assert kept  # and the living left alone
    finally:
        gc.unfreeze()


def test_the_app_settles_its_heap_when_it_starts(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from pingan.api.app import create_app
    from pingan.bootstrap import bootstrap
    from pingan.core.settings import Settings

    services = bootstrap(Settings(database_url=f"sqlite:///{tmp_path / 'p.db'}", media_dir=tmp_path))
    gc.unfreeze()
    try:
        app = create_app(services)
        assert gc.get_freeze_count() == 0
        with TestClient(app) as client:
            assert gc.get_freeze_count() > 0
            assert client.get("/api/v1/health").status_code == 200
    finally:
        gc.unfreeze()
        services.close()


def test_pauses_overlapping_for_long_still_collect_the_young(monkeypatch: pytest.MonkeyPatch) -> None:
    import pingan.core.gcpause as pause

    monkeypatch.setattr(pause, "LONGEST_PAUSE", 0.0)
    collected: list[int] = []

    def collect(generation: int = 2) -> int:
        collected.append(generation)
        return 0

    monkeypatch.setattr(gc, "collect", collect)
    gc.enable()
    with gc_paused():
        with gc_paused():
            pass  # another batch ends while this one is still running: the young generations are collected
        assert collected == [1]
        assert not gc.isenabled()
    assert gc.isenabled()
    assert collected == [1]  # the collector simply resumes at the end
