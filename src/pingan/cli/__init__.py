"""The `pingan` command."""

from pingan.cli.main import app

__all__ = ["app"]
