"""The outside world's clients (NATS JetStream …), behind ports the core and the capabilities declare."""
