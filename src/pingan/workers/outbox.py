"""The outbox worker loop: claims one due row at a time and delivers it (`pingan.core.outbox`).

It sleeps only when nothing is due, stops cleanly on SIGTERM (after the row in hand), and carries on past a
bad row (the outbox records its error and schedules its retry) or a database hiccup. Any number of workers,
in any processes, may run over one database: each row is claimed by one of them at a time.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from pingan.workers.signals import stop_on_signals

if TYPE_CHECKING:
    from pingan.bootstrap import Services

log = logging.getLogger(__name__)


def run_outbox(services: Services, *, poll: float | None = None, stop: threading.Event | None = None) -> None:
    """Deliver the outbox until `stop` is set (or SIGTERM, when run on the main thread)."""
    outbox = services.outbox
    wait = poll if poll is not None else services.settings.outbox_poll_seconds
    stop = stop or threading.Event()
    stop_on_signals(stop)
    log.info("outbox worker %s delivering %s", outbox.worker, ", ".join(sorted(outbox.kinds)) or "nothing")
    while not stop.is_set():
        try:
            busy = outbox.deliver_one()
        except Exception:  # the database went away, say: the claimed row's lease runs out and it comes back
            log.exception("outbox worker: claiming or recording failed; retrying after %.1fs", wait)
            busy = False
        if not busy:
            stop.wait(wait)
