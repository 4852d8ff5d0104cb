"""The cyclic garbage collector and a server's latency.

`gc_paused`: collection held off while a batch is built.

Building a batch allocates tens of thousands of container objects (validated models, their dicts,
row tuples) that live until the batch is stored and hold no reference cycles. Each 700 allocations
CPython runs a collection of the youngest generation, and every tenth of those an older one: on a
5,000-event batch that doubled the time spent validating it. Pausing the collector for the length
of a batch (tens of milliseconds) defers that work to one collection afterwards; reference counting
still frees everything as usual.

The pause is process-wide, as the collector is: nested and concurrent pauses are counted, and the
collector resumes (if it was running before) when the last one ends.

`settle_heap`: what a server holds for its whole life (the app, its routes and models, the mapped
classes, the rules, the jurisdictions) is moved out of the collector's sight once it has started. Every
so often CPython collects its oldest generation, walking every tracked object: with a server's heap that
took about 100 ms, during which the process stops serving, and requests queued behind it (measured with
`pingan bench desk`: those pauses were its slowest posts). Frozen objects are still freed as usual when
nothing refers to them; only cycles among them are no longer collected.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_resume = False
_since = 0.0
LONGEST_PAUSE = 1.0
"""Seconds: pauses that overlap without a break (batches on several threads, back to back) still let the
young generations be collected this often."""


def settle_heap() -> None:
    """Collect what start-up left behind, then freeze the rest (see the module's note)."""
    gc.collect()
    gc.freeze()


@contextmanager
def gc_paused() -> Iterator[None]:
    global _depth, _resume, _since
    with _lock:
        if _depth == 0:
            _resume = gc.isenabled()
            _since = time.monotonic()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                if _resume:
                    gc.enable()
            elif _resume and time.monotonic() - _since > LONGEST_PAUSE:
                gc.collect(1)
                _since = time.monotonic()
