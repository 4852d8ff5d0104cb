"""The SLA sweeper loop: escalates missed deadlines, announces the reports due; sleeps only when idle; stops cleanly on SIGTERM."""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from pingan.workers.signals import stop_on_signals

if TYPE_CHECKING:
    from pingan.bootstrap import Services

log = logging.getLogger(__name__)
REPORT_SCHEDULE_SECONDS = 60.0
"""How often the loop looks for reports due (a report is due once a day at most)."""


def sweep_once(services: Services) -> int:
    with services.db.session() as session:
        changed = services.tasks.sweep(session)
    with services.db.session() as session:
        # Tracking's own clocks: silent base stations and bracelets, the compensation agreement, partitions.
        return changed + services.tracking.sweep(session) + services.rehab.sweep(session)


def schedule_reports(services: Services) -> int:
    """The reports of the periods just ended, announced once each to the outbox (whose worker writes them)."""
    with services.db.session() as session:
        return services.reports.schedule(session)


def run_sweeper(services: Services, *, interval: float = 5.0, stop: threading.Event | None = None) -> None:
    stop = stop or threading.Event()
    stop_on_signals(stop)
    scheduled_at = float("-inf")
    while not stop.is_set():
        try:
            changed = sweep_once(services)
            if time.monotonic() - scheduled_at >= REPORT_SCHEDULE_SECONDS:
                schedule_reports(services)
                scheduled_at = time.monotonic()
        except Exception:  # one bad row or a database hiccup must not kill the worker
            log.exception("sweep failed; retrying after %.1fs", interval)
            changed = 0
        if changed == 0:
            stop.wait(interval)
