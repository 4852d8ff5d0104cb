"""How a worker process is asked to stop: SIGTERM (a supervisor) or SIGINT (Ctrl-C)."""

from __future__ import annotations

import signal
import threading
from types import FrameType


def stop_on_signals(stop: threading.Event) -> None:
    """Have SIGTERM and SIGINT set `stop`, so that the loops finish the row in hand and return. Only the main
    thread may install signal handlers: called from another thread (the demo's loops), it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        return

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
