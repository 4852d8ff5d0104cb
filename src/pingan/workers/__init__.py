"""Long-running workers: the SLA sweeper and the outbox."""
