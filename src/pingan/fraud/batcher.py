"""A micro-batcher: events that arrive one by one are handed to intake in small batches.

A transaction per event would spend its time committing; a batch per second would keep a warning
waiting. The batcher flushes when the oldest waiting item is ``max_delay`` old or ``max_items`` have
gathered, whichever comes first, on one background thread (intake serialises writers anyway).
Nothing is acknowledged before the batch that holds it has committed: ``on_flush`` is called after
the flush function returns, with the items, their arrival times and the result (or the error).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Flushed(Generic[T, R]):
    """One flush: what went in, when each item arrived, and what came out."""

    items: list[T]
    arrived: list[float]
    """`time.perf_counter()` at each item's arrival."""
    result: R | None
    error: BaseException | None
    started: float
    finished: float
    """`time.perf_counter()` after the flush function returned (for intake: after the commit)."""


class MicroBatcher(Generic[T, R]):
    """Collects items and calls ``flush(items)`` every ``max_delay`` seconds or ``max_items`` items.

    Use as a context manager, or call :meth:`start` and :meth:`close`. :meth:`close` flushes what
    is still waiting. An exception from ``flush`` is passed to ``on_flush`` and the batcher carries
    on (the items are not acknowledged; their source may offer them again, intake being idempotent).
    """

    def __init__(
        self,
        flush: Callable[[list[T]], R],
        *,
        max_items: int = 1000,
        max_delay: float = 0.02,
        on_flush: Callable[[Flushed[T, R]], None] | None = None,
    ) -> None:
        if max_items < 1:
            raise ValueError("max_items must be at least 1")
        if max_delay < 0:
            raise ValueError("max_delay must not be negative")
        self._flush = flush
        self.max_items = max_items
        self.max_delay = max_delay
        self._on_flush = on_flush
        self._cond = threading.Condition()
        self._items: list[T] = []
        self._arrived: list[float] = []
        self._closing = False
        self._busy = False
        self._thread: threading.Thread | None = None
        self.flushes = 0
        self.failures = 0

    def start(self) -> MicroBatcher[T, R]:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="micro-batcher", daemon=True)
            self._thread.start()
        return self

    def __enter__(self) -> MicroBatcher[T, R]:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def submit(self, item: T, arrived: float | None = None) -> None:
        """Offer one item; ``arrived`` (a `time.perf_counter()` value) defaults to now."""
        self.submit_many((item,), None if arrived is None else (arrived,))

    def submit_many(self, items: Iterable[T], arrived: Sequence[float] | None = None) -> None:
        """Offer several items at once; ``arrived`` gives each one's arrival time (default: now)."""
        batch = list(items)
        if not batch:
            return
        stamps = list(arrived) if arrived is not None else [time.perf_counter()] * len(batch)
        if len(stamps) != len(batch):
            raise ValueError("one arrival time per item")
        with self._cond:
            if self._closing:
                raise RuntimeError("the batcher is closed")
            was_empty = not self._items
            self._items.extend(batch)
            self._arrived.extend(stamps)
            if was_empty or len(self._items) >= self.max_items:
                self._cond.notify()

    def pending(self) -> int:
        with self._cond:
            return len(self._items) + (1 if self._busy else 0)

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until everything offered so far has been flushed. Returns False on timeout."""
        deadline = None if timeout is None else time.perf_counter() + timeout
        with self._cond:
            while self._items or self._busy:
                remaining = None if deadline is None else deadline - time.perf_counter()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    def close(self) -> None:
        """Flush what is waiting and stop the background thread."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _take(self) -> tuple[list[T], list[float]] | None:
        """Wait for the next batch to be due; None when closing with nothing left."""
        with self._cond:
            while True:
                if self._items:
                    if self._closing or len(self._items) >= self.max_items:
                        break
                    wait = self._arrived[0] + self.max_delay - time.perf_counter()
                    if wait <= 0:
                        break
                    self._cond.wait(wait)
                elif self._closing:
                    return None
                else:
                    self._cond.wait()
            n = self.max_items
            items, self._items = self._items[:n], self._items[n:]
            arrived, self._arrived = self._arrived[:n], self._arrived[n:]
            self._busy = True
            return items, arrived

    def _run(self) -> None:
        while (taken := self._take()) is not None:
            items, arrived = taken
            started = time.perf_counter()
            result: R | None = None
            error: BaseException | None = None
            try:
                result = self._flush(items)
            except Exception as exc:  # reported to on_flush; the batcher keeps going
                error = exc
                self.failures += 1
            finished = time.perf_counter()
            self.flushes += 1
            try:
                if self._on_flush is not None:
                    self._on_flush(Flushed(items, arrived, result, error, started, finished))
                elif error is not None:
                    log.error("micro-batch of %d items failed", len(items), exc_info=error)
            except Exception:
                log.exception("on_flush failed")
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()
