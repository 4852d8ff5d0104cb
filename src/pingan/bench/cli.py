"""`pingan bench ...`: benchmarks that print one JSON line."""

from __future__ import annotations

import typer

bench_app = typer.Typer(help="Benchmarks (print one JSON line each).", no_args_is_help=True)
