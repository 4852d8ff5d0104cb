"""`pingan bench ...`: benchmarks that print one JSON line each (progress goes to stderr)."""

from __future__ import annotations

import json
import os
import secrets
import sys
from typing import Annotated

import typer

from pingan.bench import desk as desk_bench

bench_app = typer.Typer(help="Benchmarks (print one JSON line each).", no_args_is_help=True)
desk_bench.register(bench_app)


@bench_app.callback()
def _bench_key() -> None:
    # A benchmark runs on a throwaway database with tokens it signs itself: without a key of the instance, a
    # random one for this run, in the environment so that its server and load processes all share it.
    os.environ.setdefault("PINGAN_SECRET_KEY", secrets.token_urlsafe(48))


@bench_app.command("search")
def search(
    residents: Annotated[int, typer.Option(min=1, help="Residents in the generated registry.")] = 50_000,
    indicators: Annotated[int, typer.Option(min=1, help="Listed indicators.")] = 20_000,
    events: Annotated[int, typer.Option(min=1, help="Events ingested first (5% hit an indicator).")] = 50_000,
    queries: Annotated[int, typer.Option(min=1, help="Searches per kind of query and per user.")] = 200,
    database_url: Annotated[
        str | None, typer.Option(help="An empty database to run on (default: a fresh SQLite file in a temp dir).")
    ] = None,
    reset: Annotated[bool, typer.Option(help="Drop every table of --database-url first.")] = False,
    seed: Annotated[int, typer.Option()] = 7,
) -> None:
    """The staff search box: latency of phone (other formats), ID number, name and number searches."""
    from pingan.bench.search import SearchBenchConfig, run_search_bench

    figures = run_search_bench(
        SearchBenchConfig(
            residents=residents,
            indicators=indicators,
            events=events,
            queries=queries,
            database_url=database_url,
            reset=reset,
            seed=seed,
        )
    )
    sys.stdout.write(json.dumps(figures, ensure_ascii=False) + "\n")


@bench_app.command("ingest")
def ingest(
    events: Annotated[int, typer.Option(min=1, help="Events in the throughput phase.")] = 200_000,
    hit_ratio: Annotated[float, typer.Option(min=0.0, max=1.0, help="Share of events hitting an indicator.")] = 0.01,
    rate: Annotated[float, typer.Option(min=1.0, help="Events per second offered in the latency phase.")] = 5_000.0,
    latency_seconds: Annotated[float, typer.Option(min=0.0, help="Length of the latency phase.")] = 20.0,
    residents: Annotated[int, typer.Option(min=1, help="Residents in the generated registry.")] = 50_000,
    indicators: Annotated[int, typer.Option(min=1, help="Listed indicators.")] = 20_000,
    batch: Annotated[int, typer.Option(min=1, max=50_000, help="Events per ingest call (throughput).")] = 5_000,
    micro_batch: Annotated[int, typer.Option(min=1, help="Largest micro-batch (latency phase).")] = 1_000,
    micro_delay_ms: Annotated[float, typer.Option(min=0.0, help="Micro-batch flush interval.")] = 20.0,
    database_url: Annotated[
        str | None, typer.Option(help="An empty database to run on (default: a fresh SQLite file in a temp dir).")
    ] = None,
    reset: Annotated[bool, typer.Option(help="Drop every table of --database-url first.")] = False,
    seed: Annotated[int, typer.Option()] = 7,
) -> None:
    """Intake throughput (batches, as fast as possible) and latency (micro-batches at --rate)."""
    from pingan.bench.ingest import IngestBenchConfig, run_ingest_bench

    figures = run_ingest_bench(
        IngestBenchConfig(
            events=events,
            hit_ratio=hit_ratio,
            rate=rate,
            latency_seconds=latency_seconds,
            residents=residents,
            indicators=indicators,
            batch=batch,
            micro_batch=micro_batch,
            micro_delay_ms=micro_delay_ms,
            database_url=database_url,
            reset=reset,
            seed=seed,
        )
    )
    sys.stdout.write(json.dumps(figures, ensure_ascii=False) + "\n")
    if not figures["ok"]:
        raise typer.Exit(1)


@bench_app.command("link")
def link(
    cases: Annotated[int, typer.Option(min=1, help="Cases, each with --per-case identifiers.")] = 1_000_000,
    per_case: Annotated[int, typer.Option(min=1, max=20)] = 3,
    cap: Annotated[int, typer.Option(min=2, help="An identifier held by more cases links none of them.")] = 50,
    networkx: Annotated[bool, typer.Option("--networkx/--no-networkx", help="Also time networkx.")] = True,
    seed: Annotated[int, typer.Option()] = 7,
) -> None:
    """Linking cases that share identifiers (串并案): numpy/scipy, and networkx on the same graph."""
    from pingan.bench.money import LinkBenchConfig, run_link_bench

    figures = run_link_bench(
        LinkBenchConfig(cases=cases, per_case=per_case, cap=cap, networkx=networkx, seed=seed),
        say=lambda line: print(line, file=sys.stderr),
    )
    sys.stdout.write(json.dumps(figures) + "\n")
    if figures.get("networkx_agrees") is False:
        raise typer.Exit(1)


@bench_app.command("match")
def match(
    indicators: Annotated[int, typer.Option(min=1, help="Listed indicators.")] = 10_000_000,
    lookups: Annotated[int, typer.Option(min=1, help="Normalised identifiers looked up.")] = 2_000_000,
    batch: Annotated[int, typer.Option(min=1, help="Lookups per batch.")] = 100_000,
    seed: Annotated[int, typer.Option()] = 7,
) -> None:
    """Lookups of normalised identifiers against the indicator list, as sorted 64-bit hashes."""
    from pingan.bench.money import MatchBenchConfig, run_match_bench

    figures = run_match_bench(
        MatchBenchConfig(indicators=indicators, lookups=lookups, batch=batch, seed=seed),
        say=lambda line: print(line, file=sys.stderr),
    )
    sys.stdout.write(json.dumps(figures) + "\n")
    if figures["hits"] != figures["planted_hits"]:
        raise typer.Exit(1)


@bench_app.command("detections")
def detections(
    count: Annotated[int, typer.Option("--detections", min=1, help="Detections stored from batches.")] = 200_000,
    batch: Annotated[int, typer.Option(min=1, max=50_000, help="Detections per batch.")] = 5_000,
    tags: Annotated[int, typer.Option(min=1)] = 20_000,
    stations: Annotated[int, typer.Option(min=1)] = 400,
    mqtt_messages: Annotated[int, typer.Option(min=0, help="Messages through the broker.")] = 20_000,
    stolen: Annotated[int, typer.Option(min=1, help="Stolen tags whose alerts are timed.")] = 200,
    alert_rate: Annotated[float, typer.Option(min=1.0, help="Stolen tags' detections per second.")] = 50.0,
    background_rate: Annotated[float, typer.Option(min=0.0, help="Other messages per second beside them.")] = 2_000.0,
    publishers: Annotated[int, typer.Option(min=1, max=64, help="Publisher processes for mqtt_per_s.")] = 4,
    gateways: Annotated[int, typer.Option(min=1, max=64, help="MQTT connections each publisher drives.")] = 4,
    database_url: Annotated[str | None, typer.Option(help="An empty database (default: a fresh SQLite file).")] = None,
    mqtt_url: Annotated[str | None, typer.Option(envvar="PINGAN_MQTT_URL")] = None,
) -> None:
    """Tracking's intake: batch_per_s, mqtt_per_s (through Mosquitto, QoS 1), alert_p50_ms and alert_p99_ms."""
    from pingan.bench.detections import DetectionsBenchConfig, run_detections_bench

    figures = run_detections_bench(
        DetectionsBenchConfig(
            detections=count,
            batch=batch,
            tags=tags,
            stations=stations,
            mqtt_messages=mqtt_messages,
            stolen=stolen,
            alert_rate=alert_rate,
            background_rate=background_rate,
            publishers=publishers,
            gateways=gateways,
            database_url=database_url,
            mqtt_url=mqtt_url,
        ),
        say=lambda line: print(line, file=sys.stderr),
    )
    sys.stdout.write(json.dumps(figures, ensure_ascii=False) + "\n")
    if not figures["ok"]:
        raise typer.Exit(1)


@bench_app.command("track")
def track(
    count: Annotated[int, typer.Option("--detections", min=1, help="Detections stored.")] = 100_000_000,
    tags: Annotated[int, typer.Option(min=1, help="Tags they belong to.")] = 200_000,
    months: Annotated[int, typer.Option(min=1, max=60, help="Whole months before this one they span.")] = 3,
    stations: Annotated[int, typer.Option(min=5, help="Base stations.")] = 400,
    queries: Annotated[int, typer.Option(min=1, help="Random tag-days read.")] = 2_000,
    database_url: Annotated[
        str | None,
        typer.Option(
            help="A PostgreSQL server (default: PINGAN_DATABASE_URL, else postgresql+psycopg://127.0.0.1:5432/test; "
            "the bench works in its own --database) or a sqlite:/// file to fill."
        ),
    ] = None,
    database: Annotated[str, typer.Option(help="The bench's own database on the PostgreSQL server.")] = (
        "pingan_bench_track"
    ),
    reuse: Annotated[bool, typer.Option(help="Skip the load when the same data is already there.")] = False,
    keep: Annotated[bool, typer.Option(help="Keep the bench's database (or file) afterwards.")] = False,
    jobs: Annotated[int, typer.Option(min=1, max=16, help="Months loaded at once (PostgreSQL).")] = 2,
    seed: Annotated[int, typer.Option()] = 7,
) -> None:
    """A tag's day of track with --detections stored (issue 11): load time, sizes, p50/p99 of
    `tracking.queries.track`, rows per day, and whether its plan uses the (tag_id, at) index and prunes."""
    from pingan.bench.track import TrackBenchConfig, run_track_bench

    figures = run_track_bench(
        TrackBenchConfig(
            detections=count,
            tags=tags,
            months=months,
            stations=stations,
            queries=queries,
            database_url=database_url,
            database=database,
            reuse=reuse,
            keep=keep,
            jobs=jobs,
            seed=seed,
        )
    )
    sys.stdout.write(json.dumps(figures, ensure_ascii=False) + "\n")
    if not figures["ok"]:
        raise typer.Exit(1)


@bench_app.command("reach")
def reach(
    units: Annotated[int, typer.Option(min=1, help="Patrol units over the county.")] = 500,
    queries: Annotated[int, typer.Option(min=1, help="Reach queries at random points.")] = 2_000,
    database_url: Annotated[
        str | None, typer.Option(help="An empty database to run on (default: a fresh SQLite file in a temp dir).")
    ] = None,
    seed: Annotated[int, typer.Option()] = 7,
) -> None:
    """The "135" reach: queries per second (positions and roster read, circles computed) and the circles alone."""
    from pingan.bench.reach import ReachBenchConfig, run_reach_bench

    figures = run_reach_bench(ReachBenchConfig(units=units, queries=queries, database_url=database_url, seed=seed))
    sys.stdout.write(json.dumps(figures, ensure_ascii=False) + "\n")


@bench_app.command("scale")
def scale(
    workers: Annotated[str, typer.Option(help="Worker counts to measure, comma-separated.")] = "1,2,3",
    events: Annotated[int, typer.Option(min=100, max=10_000_000, help="Events published per run.")] = 50_000,
    leads_every: Annotated[
        int, typer.Option(min=1, help="One event in this many is a report (a warning and its task).")
    ] = 20,
    rate: Annotated[
        float | None, typer.Option(min=1, help="Publish at this many events/s (default: as fast as possible).")
    ] = None,
    batch: Annotated[int, typer.Option(min=1, max=10_000, help="Messages per worker transaction.")] = 500,
    postgres: Annotated[
        str, typer.Option(help="A PostgreSQL server URL whose user may create databases (one per run).")
    ] = "postgresql://postgres@127.0.0.1:5432/test",
    nats: Annotated[str, typer.Option(help="The NATS server (JetStream on).")] = "nats://127.0.0.1:4222",
    stream: Annotated[
        str, typer.Option(help="leads, or detections (of 2,000 registered tags by 100 stations).")
    ] = "leads",
) -> None:
    """Leads through JetStream into PostgreSQL with 1, 2, 3 … `pingan worker` processes (JSON on one line):
    events/s per worker count and the event-to-task latency (p50, p99) of the leads."""
    from pingan.bench.scale import run_scale

    _bench_key()
    try:
        counts = [int(w) for w in workers.split(",") if w.strip()]
    except ValueError:
        raise typer.BadParameter("comma-separated whole numbers, e.g. 1,2,3", param_hint="--workers") from None
    if not counts or min(counts) < 1:
        raise typer.BadParameter("at least one worker", param_hint="--workers")
    figures = run_scale(
        workers=counts,
        events=events,
        leads_every=leads_every,
        postgres_url=postgres,
        nats_url=nats,
        batch=batch,
        rate=rate,
        stream=stream,
        say=lambda line: print(line, file=sys.stderr),
    )
    sys.stdout.write(json.dumps(figures, ensure_ascii=False) + "\n")
