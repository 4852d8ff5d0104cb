"""The micro-batcher: flushes on size or age, in order, after the flush returns, and survives failures."""

from __future__ import annotations

import threading

import pytest

from pingan.fraud.batcher import Flushed, MicroBatcher


class Sink:
    """A flush function that records its batches, and can be told to fail or to hold."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.flushed: list[Flushed[int, int]] = []
        self.fail_on: set[int] = set()
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Event()
        self.done = threading.Condition()

    def __call__(self, items: list[int]) -> int:
        self.entered.set()
        self.gate.wait(10)
        if set(items) & self.fail_on:
            raise RuntimeError("database down")
        self.batches.append(list(items))
        return len(items)

    def on_flush(self, flushed: Flushed[int, int]) -> None:
        with self.done:
            self.flushed.append(flushed)
            self.done.notify_all()

    def wait_for(self, n_items: int) -> None:
        with self.done:
            assert self.done.wait_for(lambda: sum(len(f.items) for f in self.flushed) >= n_items, 10)


def test_a_full_batch_is_flushed_without_waiting_for_the_delay() -> None:
    sink = Sink()
    with MicroBatcher(sink, max_items=5, max_delay=60, on_flush=sink.on_flush) as batcher:
        batcher.submit_many(range(12))
        sink.wait_for(10)
        assert sink.batches == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    assert sink.batches[-1] == [10, 11]  # closing flushes what is left


def test_a_lone_item_is_flushed_once_it_is_max_delay_old() -> None:
    sink = Sink()
    with MicroBatcher(sink, max_items=1000, max_delay=0.01, on_flush=sink.on_flush) as batcher:
        batcher.submit(7)
        sink.wait_for(1)
        assert sink.batches == [[7]]
        assert batcher.pending() == 0


def test_on_flush_reports_arrival_and_finish_times_in_order() -> None:
    sink = Sink()
    with MicroBatcher(sink, max_items=3, max_delay=0.01, on_flush=sink.on_flush) as batcher:
        batcher.submit_many([1, 2, 3], arrived=[1.0, 2.0, 3.0])
        batcher.submit(4)
        sink.wait_for(4)
    first, second = sink.flushed
    assert (first.items, first.arrived, first.result, first.error) == ([1, 2, 3], [1.0, 2.0, 3.0], 3, None)
    assert second.items == [4]
    assert first.started <= first.finished <= second.started <= second.finished
    assert second.arrived[0] <= second.started


def test_items_offered_while_a_flush_runs_wait_for_the_next_one() -> None:
    sink = Sink()
    sink.gate.clear()
    with MicroBatcher(sink, max_items=100, max_delay=0.0, on_flush=sink.on_flush) as batcher:
        batcher.submit(1)
        assert sink.entered.wait(10)  # the first flush has started and is held at the gate
        batcher.submit_many([2, 3])
        assert batcher.pending() == 3
        sink.gate.set()
        assert batcher.drain(10)
    assert sink.batches == [[1], [2, 3]]


def test_a_failed_flush_is_reported_and_the_batcher_carries_on() -> None:
    sink = Sink()
    sink.fail_on = {2}
    with MicroBatcher(sink, max_items=2, max_delay=0.01, on_flush=sink.on_flush) as batcher:
        batcher.submit_many([1, 2])
        sink.wait_for(2)
        batcher.submit_many([3, 4])
        sink.wait_for(4)
        assert batcher.failures == 1
    failed, ok = sink.flushed
    assert isinstance(failed.error, RuntimeError)
    assert failed.result is None
    assert (ok.items, ok.result, ok.error) == ([3, 4], 2, None)


def test_nothing_can_be_offered_after_close() -> None:
    sink = Sink()
    batcher = MicroBatcher(sink, max_items=2).start()
    batcher.close()
    with pytest.raises(RuntimeError):
        batcher.submit(1)


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="max_items"):
        MicroBatcher(Sink(), max_items=0)
    with pytest.raises(ValueError, match="arrival"):
        MicroBatcher(Sink()).submit_many([1, 2], arrived=[1.0])
