"""Unified alarm intake (统一接警): 110 and walk-in alarms received, graded, dispatched to the nearest on-duty
patrol unit by the "135" reach, worked and closed on the one task loop (kind `alarm`)."""
