"""`pingan worker`: the SLA sweeper and the outbox worker in one process, until SIGTERM."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from pingan.core.streams import StreamName
from pingan.workers.outbox import run_outbox
from pingan.workers.signals import stop_on_signals
from pingan.workers.sweeper import run_sweeper

if TYPE_CHECKING:
    from pingan.bootstrap import Services

log = logging.getLogger(__name__)


def run_workers(
    services: Services,
    *,
    sweeper: bool = True,
    outbox: bool = True,
    sweep_interval: float = 5.0,
    streams: Sequence[StreamName] = (),
    nats_url: str | None = None,
    batch: int = 500,
    metrics_port: int | None = None,
    consumer: str | None = None,
) -> None:
    """Run the chosen loops on threads of this process until SIGTERM / SIGINT. Should one loop end on its own,
    the others are stopped too, so that the process exits and its supervisor restarts it whole.

    With `streams`, the process also consumes those JetStream streams into the database (`nats_url`)."""
    loops: list[tuple[str, Callable[[], None]]] = []
    stop = threading.Event()
    if streams:
        from pingan.workers.streams import run_stream_workers

        loops.append(
            (
                "streams",
                lambda: run_stream_workers(
                    services,
                    url=nats_url,
                    streams=streams,
                    stop=stop,
                    batch=batch,
                    metrics_port=metrics_port,
                    consumer=consumer,
                ),
            )
        )
    if outbox:
        loops.append(("outbox", lambda: run_outbox(services, stop=stop)))
    if sweeper:
        loops.append(("sla-sweeper", lambda: run_sweeper(services, interval=sweep_interval, stop=stop)))
    if not loops:
        raise ValueError("nothing to run: choose the sweeper, the outbox, streams or several")
    stop_on_signals(stop)

    def guarded(name: str, loop: Callable[[], None]) -> None:
        try:
            loop()
        finally:
            if not stop.is_set():
                log.error("the %s loop ended on its own; stopping the worker", name)
                stop.set()

    threads = [threading.Thread(target=guarded, args=(name, loop), name=name) for name, loop in loops]
    for thread in threads:
        thread.start()
    # The main thread only waits, in short joins, so that the signal handlers run at once.
    while any(thread.is_alive() for thread in threads):
        for thread in threads:
            thread.join(timeout=0.5)
