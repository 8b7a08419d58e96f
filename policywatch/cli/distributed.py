"""Commands of distributed mode: ``enqueue``, ``worker``, ``writer``, ``workers status``.

One Redis, one writer next to the database, N workers (README "Several machines").
They only parse arguments and call ``crawler.cluster``, ``crawler.worker`` and
``crawler.stream_writer``.
"""
from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import click

from policywatch.cli.root import cli, open_db

REDIS_HELP = "Redis URL, e.g. redis://queue.example:6379/0 (env POLICYWATCH_REDIS_URL)."


def _redis_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--redis", "redis_url", envvar="POLICYWATCH_REDIS_URL", required=True, help=REDIS_HELP)(func)


@cli.command()
@_redis_option
@click.option("--live", is_flag=True, help="Queue live checks (sharded by registrable domain).")
@click.option("--archive", is_flag=True, help="Queue archive backfills (one shared queue).")
@click.option("--policy", "policies", multiple=True, help="Policy name or id (repeatable); default: all.")
@click.option("--group", "groups", multiple=True, help="Only policies of this group (repeatable).")
@click.option("--shards", type=int, help="Number of live workers (shards); default: as last set, else 1.")
@click.option("--live-every", type=float, default=20.0, show_default=True,
              help="Hours after which a policy's live check is due again.")
@click.option("--archive-every", type=float, default=24.0, show_default=True,
              help="Hours after a finished backfill before the policy's archive is queried again.")
@click.pass_context
def enqueue(ctx: click.Context, redis_url: str, live: bool, archive: bool, policies: tuple[str, ...],
            groups: tuple[str, ...], shards: int | None, live_every: float, archive_every: float) -> None:
    """Queue the due work of the database for workers (neither --live nor --archive means both).

    Running it again queues nothing that is already queued or done; it also gives
    back the jobs of workers whose heartbeat stopped.
    """
    from policywatch.crawler.cluster import connect, enqueue as push
    from policywatch.crawler.request import resolve_policies

    ids = list(resolve_policies(ctx.obj["db_path"], policies, None) or ()) or None
    report = push(open_db(ctx), connect(redis_url), live=live, archive=archive, policy_ids=ids,
                  groups=list(groups) or None, shards=shards, live_every=live_every, archive_every=archive_every)
    click.echo(report.line())


@cli.command()
@_redis_option
@click.option("--shard", default="0/1", show_default=True, metavar="K/N", help="Live shard this worker takes.")
@click.option("--archive", is_flag=True, help="Take archive backfills instead of live checks.")
@click.option("--bind-address", help="Send every request from this local address (its own archive budget).")
@click.option("--name", help="Worker name (default: host and role; unique per running worker).")
@click.option("--exit-when-idle", type=float, default=0.0, help="Exit after this many seconds with nothing to do.")
@click.option("-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE", help="Scrapy setting.")
def worker(redis_url: str, shard: str, archive: bool, bind_address: str | None, name: str | None,
           exit_when_idle: float, overrides: tuple[str, ...]) -> None:
    """Fetch, extract and publish captures for queued jobs (a Scrapy process on scrapy-redis)."""
    from policywatch.crawler.request import parse_shard
    from policywatch.crawler.worker import run_worker

    k, n = parse_shard(shard)
    settings = dict(pair.partition("=")[::2] for pair in overrides)
    if exit_when_idle:
        settings["POLICYWATCH_WORKER_MAX_IDLE"] = str(exit_when_idle)
    sys.exit(run_worker(redis_url, shard=k, shards=n, archive=archive, bind_address=bind_address,
                        name=name, overrides=settings))


@cli.command()
@_redis_option
@click.option("--consumer", default="writer", show_default=True, help="Consumer name in the stream's group.")
@click.option("--exit-when-idle", type=float, default=0.0,
              help="Exit after this many idle seconds once no job is left (tests, batch runs).")
@click.option("--lock-ttl", type=float, default=30.0, show_default=True,
              help="Seconds the writer lock outlives a writer that was killed.")
@click.pass_context
def writer(ctx: click.Context, redis_url: str, consumer: str, exit_when_idle: float, lock_ttl: float) -> None:
    """Write the captures of the stream into the database: the only process that writes it."""
    from policywatch.crawler.request import resolve_config
    from policywatch.crawler.stream_writer import WriterBusy, run_writer

    import signal

    open_db(ctx).conn.close()  # fail fast (exit 2) on a missing database

    def stop(signum: int, frame: object) -> None:  # systemd's stop: finish like Ctrl-C
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        summary = run_writer(ctx.obj["db_path"], redis_url, config_path=resolve_config(ctx.obj.get("config_path")), consumer=consumer,
                             exit_when_idle=exit_when_idle, lock_ttl=lock_ttl)
    except WriterBusy as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(75)
    except KeyboardInterrupt:  # an entry being written is redelivered on restart: nothing lost
        click.echo("writer stopped", err=True)
        return
    click.echo(summary.line())


@cli.group()
def workers() -> None:
    """Inspect distributed mode."""


@workers.command("status")
@_redis_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def workers_status(redis_url: str, fmt: str) -> None:
    """Queue depths, stream entries not yet written, workers and writer seen."""
    from policywatch.crawler.cluster import connect, status

    result = status(connect(redis_url))
    if fmt == "json":
        click.echo(json.dumps(result.to_json(), sort_keys=True))
    else:
        for line in result.lines():
            click.echo(line)
