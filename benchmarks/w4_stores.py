"""W4 on every durable store: the 1000-node chain, each output committed (``sync``), on
SQLite, PostgreSQL and Redis, each beside its raw driver doing the same commits.

Usage: ``python benchmarks/w4_stores.py [--n 1000] [--repetitions 5] [--postgres URL]
[--redis URL] [--json FILE]``. PostgreSQL and Redis are measured when ``--postgres`` /
``--redis`` (or ``PLAIT_TEST_POSTGRES_URL`` / ``PLAIT_TEST_REDIS_URL``) name a server;
each works in a schema or key prefix of its own, removed afterwards. Redis's figures depend
on its persistence settings, printed with them (``appendfsync always`` is the durable mode
the README recommends; ``scripts/ci/redis.sh`` starts one so).

Each repetition runs every store's floor and plait once, in turn, so drift in the disk's
flush time hits all alike; medians are reported. A floor is ``noop`` then one raw
insert-and-commit per step: ``sqlite3`` (WAL, FULL) through ``anyio.to_thread``, one
psycopg connection, one redis-py ``HSET``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import anyio
import anyio.to_thread
from bodies import noop
from workloads_plait import define_chain

import plait
from plait.engine import PostgresStore, RedisStore, SQLiteStore, Store

Step = Callable[[int, int, int], Awaitable[None]]
"""One raw commit: run number, step, value."""

_runs = itertools.count()


async def _floor(n: int, commit: Step) -> float:
    run = next(_runs)
    started = time.perf_counter()
    value = 1
    for step in range(n):
        value = await noop(value)
        await commit(run, step, value)
    return time.perf_counter() - started


async def _plait(n: int, store: Store) -> float:
    builder, last = define_chain(n)
    graph = builder.build(last)
    started = time.perf_counter()
    result = await plait.run(graph, {"x": 1}, options=plait.RunOptions(store=store))
    assert result.output == 1
    return time.perf_counter() - started


@asynccontextmanager
async def _sqlite(directory: Path) -> AsyncIterator[tuple[Step, Store, str]]:
    raw = sqlite3.connect(directory / "raw.db", isolation_level=None, check_same_thread=False)
    raw.execute("PRAGMA journal_mode = WAL")
    raw.execute("PRAGMA synchronous = FULL")
    raw.execute("CREATE TABLE outputs (run TEXT, node TEXT, data BLOB, PRIMARY KEY (run, node))")

    def insert(run: int, step: int, value: int) -> None:
        raw.execute("BEGIN IMMEDIATE")
        raw.execute("INSERT INTO outputs VALUES (?, ?, ?)", (f"r{run}", f"n{step}", b"%d" % value))
        raw.execute("COMMIT")

    async def commit(run: int, step: int, value: int) -> None:
        await anyio.to_thread.run_sync(insert, run, step, value)

    try:
        async with SQLiteStore(directory / "store.db") as store:
            yield commit, store, "WAL, synchronous=FULL"
    finally:
        raw.close()


@asynccontextmanager
async def _postgres(url: str) -> AsyncIterator[tuple[Step, Store, str]]:
    import psycopg

    schema = f"plait_bench_{uuid.uuid4().hex[:12]}"
    separator = "&" if "?" in url else "?"
    scoped = f"{url}{separator}options=-csearch_path%3D{schema}"
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as admin:
        await admin.execute(f'CREATE SCHEMA "{schema}"')
        try:
            raw = await psycopg.AsyncConnection.connect(scoped, autocommit=True)
            await raw.execute("CREATE TABLE outputs (run TEXT, node TEXT, data BYTEA)")

            async def commit(run: int, step: int, value: int) -> None:
                row = (f"r{run}", f"n{step}", b"%d" % value)
                await raw.execute("INSERT INTO outputs VALUES (%s, %s, %s)", row)

            async with raw, PostgresStore(scoped) as store:
                yield commit, store, "synchronous_commit=on"
        finally:
            await admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


@asynccontextmanager
async def _redis(url: str) -> AsyncIterator[tuple[Step, Store, str]]:
    from redis.asyncio import Redis

    prefix = f"plait_bench_{uuid.uuid4().hex[:12]}"
    raw = Redis.from_url(url)
    config = await raw.config_get("append*")
    setting = f"appendonly={config.get('appendonly')}, appendfsync={config.get('appendfsync')}"

    async def commit(run: int, step: int, value: int) -> None:
        await raw.hset(f"{prefix}:raw:r{run}", f"n{step}", b"%d" % value)

    try:
        async with RedisStore(url, prefix=prefix) as store:
            yield commit, store, setting
    finally:
        found = [key async for key in raw.scan_iter(match=f"{prefix}:*", count=1000)]
        if found:
            await raw.delete(*found)
        await raw.aclose()


@dataclass(frozen=True)
class Figure:
    """One store's medians: its raw driver's run and plait's, in seconds."""

    setting: str
    floor_s: float
    plait_s: float


async def measure(
    n: int, repetitions: int, postgres: str | None, redis: str | None
) -> dict[str, Figure]:
    """Median seconds of each store's floor and plait run, by store."""
    times: dict[str, dict[str, list[float]]] = {}
    settings: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="plait-w4-") as directory:
        async with AsyncExitStack() as stack:
            sides = {"sqlite": await stack.enter_async_context(_sqlite(Path(directory)))}
            if postgres:
                sides["postgresql"] = await stack.enter_async_context(_postgres(postgres))
            if redis:
                sides["redis"] = await stack.enter_async_context(_redis(redis))
            for name, (_commit, store, setting) in sides.items():
                settings[name] = setting
                times[name] = {"floor": [], "plait": []}
                await _plait(min(n, 50), store)  # warm-up: imports, connections
            for _ in range(repetitions):
                for name, (commit, store, _setting) in sides.items():
                    times[name]["floor"].append(await _floor(n, commit))
                    times[name]["plait"].append(await _plait(n, store))
    return {
        name: Figure(
            settings[name], statistics.median(runs["floor"]), statistics.median(runs["plait"])
        )
        for name, runs in times.items()
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--postgres", default=os.environ.get("PLAIT_TEST_POSTGRES_URL"))
    parser.add_argument("--redis", default=os.environ.get("PLAIT_TEST_REDIS_URL"))
    parser.add_argument("--json", type=Path, metavar="FILE")
    options = parser.parse_args()
    figures = anyio.run(measure, options.n, options.repetitions, options.postgres, options.redis)
    n = options.n
    print(f"W4: a {n}-node chain, every output committed (sync); medians of "
          f"{options.repetitions} interleaved runs")  # fmt: skip
    print(f"{'store':<12}{'floor':>10}{'plait':>10}{'µs/node':>10}{'x floor':>9}  setting")
    for name, figure in figures.items():
        floor, mine = figure.floor_s, figure.plait_s
        print(
            f"{name:<12}{floor * 1e3:>8.0f}ms{mine * 1e3:>8.0f}ms{mine / n * 1e6:>10.0f}"
            f"{mine / floor:>8.2f}x  {figure.setting}"
        )
    sqlite = figures["sqlite"].plait_s
    for name, figure in figures.items():
        print(f"{name}: {figure.plait_s / sqlite:.2f}x plait on SQLite")
    if options.json is not None:
        found = {name: asdict(figure) for name, figure in figures.items()}
        options.json.write_text(json.dumps(found, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
