"""The demo's past for the rankings: two whole months worked through the intake and the task engine, each
month's station ranking published, and last month's ranking different from the one before."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from pingan.bootstrap import bootstrap
from pingan.command.ranking.service import Ranking
from pingan.core.settings import Settings
from pingan.demo.history import DISTRICTS, backfill, demo_rules, past_months, publish_history
from pingan.demo.run import build_county
from pingan.migrate import upgrade


def _order(ranking: Ranking) -> list[str]:
    return [row.code for row in sorted(ranking.rows, key=lambda x: (x.position, x.code))]


def test_the_demo_publishes_two_months_whose_rankings_differ(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(demo_rules(), encoding="utf-8")
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'demo.db'}", instance_dir=tmp_path, rules_file=rules)
    services = bootstrap(settings.model_copy(update={"secret_key": "k" * 40}))
    try:
        upgrade(services.db)
        build_county(services, residents=400, seed=3, console=Console(quiet=True))
        months = backfill(services, seed=3)
        assert [m.key for m in months] == [m.key for m in past_months(services.clock.now())]
        publish_history(services, months)
        publish_history(services, months)  # again: nothing published twice, nothing refused
        with services.db.session() as s:
            before, last = (services.ranking.rank(s, m) for m in months)
        assert before.published
        assert last.published
        assert last.previous_source == "published"
        assert len(last.rows) == 18
        assert _order(before) != _order(last)
        assert any(row.change for row in last.rows)
        assert {d.name for d in last.districts} == set(DISTRICTS)
        assert next(c for c in last.indicators if c.name == "dissuaded").used
    finally:
        services.close()
