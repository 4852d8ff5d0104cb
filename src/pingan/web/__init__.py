"""Web UI (zh-CN), served locally."""
