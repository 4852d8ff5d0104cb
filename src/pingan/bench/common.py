"""What every benchmark shares: progress on stderr and percentiles."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def stderr(message: str) -> None:
    """Progress goes to stderr, so stdout carries only the JSON line."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def percentile(sorted_values: Sequence[float], q: float) -> float | None:
    """The nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return None
    rank = max(1, min(len(sorted_values), round(q / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]
