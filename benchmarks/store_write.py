"""Per-commit cost of each checkpoint store: one insert-and-commit per node output.

Each store commits ``n`` outputs one at a time (``put_outputs`` of one record, as the
``sync`` durability mode does), next to its floor measured in the same run: the same
insert-and-commit through the raw driver (``sqlite3`` on the loop's thread, psycopg on one
connection), no plait.

Store and floor alternate in chunks of n/20 commits, so drift in the disk's flush time
(large on virtual machines) hits both alike; the SQLite size is the file's after closing.

Usage: ``python benchmarks/store_write.py [--n 1000] [--size 64] [--postgres URL]
[--dir DIR] [--json FILE]``. PostgreSQL is measured when ``--postgres``
(or ``PLAIT_TEST_POSTGRES_URL``) names a server; it works in a schema of its own, dropped
afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import anyio

from plait.engine.stores._memory import MemoryStore
from plait.engine.stores._postgres import PostgresStore
from plait.engine.stores._protocol import OutputRecord, RunRecord, Store, StoredStatus
from plait.engine.stores._sqlite import SQLiteStore

__all__ = ["Figure", "main", "measure_store", "postgres_floor", "sqlite_floor"]

_RAW_TABLE = """CREATE TABLE IF NOT EXISTS raw_outputs (
    run_id TEXT NOT NULL, node TEXT NOT NULL, attempt INTEGER NOT NULL,
    data {blob} NOT NULL, created_at {real} NOT NULL, PRIMARY KEY (run_id, node))"""


@dataclass(frozen=True, slots=True)
class Figure:
    """One store's cost per commit, and its raw driver's, in microseconds."""

    name: str
    per_commit_us: float
    floor_us: float | None
    db_bytes: int | None

    @property
    def ratio(self) -> float | None:
        """``per_commit_us / floor_us``."""
        return None if not self.floor_us else self.per_commit_us / self.floor_us


def sqlite_floor(path: Path, n: int, payload: bytes, synchronous: str = "FULL") -> float:
    """Seconds per raw ``sqlite3`` insert-and-commit (WAL, ``synchronous``) of ``payload``."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute(f"PRAGMA synchronous = {synchronous}")
        connection.execute(_RAW_TABLE.format(blob="BLOB", real="REAL"))
        started = time.perf_counter()
        for index in range(n):
            connection.execute("BEGIN IMMEDIATE")
            connection.execute(
                "INSERT INTO raw_outputs VALUES (?, ?, ?, ?, ?)",
                ("run", f"n{index}", 1, payload, time.time()),
            )
            connection.execute("COMMIT")
        return (time.perf_counter() - started) / n
    finally:
        connection.close()


async def postgres_floor(url: str, n: int, payload: bytes) -> float:
    """Seconds per raw psycopg (async, autocommit) insert of ``payload`` on one connection."""
    import psycopg

    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as connection:
        await connection.execute(_RAW_TABLE.format(blob="BYTEA", real="DOUBLE PRECISION"))
        started = time.perf_counter()
        for index in range(n):
            await connection.execute(
                "INSERT INTO raw_outputs VALUES (%s, %s, %s, %s, %s)",
                ("run", f"n{index}", 1, payload, time.time()),
            )
        return (time.perf_counter() - started) / n


async def measure_store(store: Store, n: int, payload: bytes) -> float:
    """Seconds per ``put_outputs`` of one ``payload`` to an open ``store``, one after another."""
    run_id = await _new_run(store)
    started = time.perf_counter()
    for index in range(n):
        await store.put_outputs([OutputRecord.of(run_id, f"n{index}", 1, payload, time.time())])
    return (time.perf_counter() - started) / n


async def _new_run(store: Store) -> str:
    now = time.time()
    run_id = uuid.uuid4().hex
    await store.put_run(
        RunRecord(run_id, "bench", "hash", "{}", b"{}", StoredStatus.RUNNING, now, now)
    )
    return run_id


Write = Callable[[int], Awaitable[None]]


async def _interleaved(floor: Write, store: Write, n: int, chunk: int) -> tuple[float, float]:
    """Seconds per commit of ``floor`` and ``store``, alternating chunks of ``chunk`` commits
    so that drift in the disk's flush time hits both alike."""
    spent = [0.0, 0.0]
    for start in range(0, n, chunk):
        for side, write in enumerate((floor, store)):
            began = time.perf_counter()
            for index in range(start, min(start + chunk, n)):
                await write(index)
            spent[side] += time.perf_counter() - began
    return spent[0] / n, spent[1] / n


async def _sqlite(directory: Path, n: int, payload: bytes, sync: str) -> Figure:
    raw = sqlite3.connect(directory / f"raw-{sync}.db", isolation_level=None)
    raw.execute("PRAGMA journal_mode = WAL")
    raw.execute(f"PRAGMA synchronous = {sync}")
    raw.execute(_RAW_TABLE.format(blob="BLOB", real="REAL"))

    async def floor(index: int) -> None:
        raw.execute("BEGIN IMMEDIATE")
        raw.execute(
            "INSERT INTO raw_outputs VALUES (?, ?, ?, ?, ?)",
            ("run", f"n{index}", 1, payload, time.time()),
        )
        raw.execute("COMMIT")

    path = directory / f"store-{sync}.db"
    try:
        async with SQLiteStore(path, synchronous=sync) as store:
            run_id = await _new_run(store)

            async def put(index: int) -> None:
                await store.put_outputs(
                    [OutputRecord.of(run_id, f"n{index}", 1, payload, time.time())]
                )

            floor_s, store_s = await _interleaved(floor, put, n, max(1, n // 20))
    finally:
        raw.close()
    size = path.stat().st_size  # closed: the WAL is checkpointed into the file and removed
    return Figure(f"sqlite ({sync})", store_s * 1e6, floor_s * 1e6, size)


async def _memory(n: int, payload: bytes) -> Figure:
    return Figure("memory", await measure_store(MemoryStore(), n, payload) * 1e6, None, None)


async def _postgres(url: str, n: int, payload: bytes) -> Figure:
    import psycopg

    schema = f"plait_bench_{uuid.uuid4().hex[:12]}"
    separator = "&" if "?" in url else "?"
    scoped = f"{url}{separator}options=-csearch_path%3D{schema}"
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as admin:
        await admin.execute(f'CREATE SCHEMA "{schema}"')
        try:
            raw = await psycopg.AsyncConnection.connect(scoped, autocommit=True)
            await raw.execute(_RAW_TABLE.format(blob="BYTEA", real="DOUBLE PRECISION"))

            async def floor(index: int) -> None:
                await raw.execute(
                    "INSERT INTO raw_outputs VALUES (%s, %s, %s, %s, %s)",
                    ("run", f"n{index}", 1, payload, time.time()),
                )

            async with raw, PostgresStore(scoped) as store:
                run_id = await _new_run(store)

                async def put(index: int) -> None:
                    await store.put_outputs(
                        [OutputRecord.of(run_id, f"n{index}", 1, payload, time.time())]
                    )

                floor_s, store_s = await _interleaved(floor, put, n, max(1, n // 20))
            cursor = await admin.execute(
                "SELECT pg_total_relation_size(%s)", (f'"{schema}".plait_outputs',)
            )
            row = await cursor.fetchone()
        finally:
            await admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
    return Figure("postgresql", store_s * 1e6, floor_s * 1e6, None if row is None else row[0])


async def measure_all(n: int, size: int, directory: Path, postgres: str | None) -> list[Figure]:
    """Every store's figure, printed as it is measured."""
    payload = os.urandom(size)
    steps: list[Callable[[], Awaitable[Figure]]] = [
        lambda: _memory(n, payload),
        lambda: _sqlite(directory, n, payload, "FULL"),
        lambda: _sqlite(directory, n, payload, "NORMAL"),
    ]
    if postgres:
        steps.append(lambda: _postgres(postgres, n, payload))
    chunk = max(1, n // 20)
    print(f"{n} commits of {size} bytes each; store and raw driver alternate every {chunk}")
    print(f"{'store':<18}{'per commit':>12}{'raw driver':>12}{'ratio':>8}{'db bytes':>12}")
    figures = []
    for step in steps:
        figure = await step()
        floor = "" if figure.floor_us is None else f"{figure.floor_us:.1f} us"
        ratio = "" if figure.ratio is None else f"{figure.ratio:.2f}x"
        db_bytes = "" if figure.db_bytes is None else str(figure.db_bytes)
        cost = f"{figure.per_commit_us:.1f} us"
        print(f"{figure.name:<18}{cost:>12}{floor:>12}{ratio:>8}{db_bytes:>12}", flush=True)
        figures.append(figure)
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    """Measure and print; write the figures as JSON with ``--json``."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="commits per measurement")
    parser.add_argument("--size", type=int, default=64, help="bytes per output")
    parser.add_argument("--postgres", default=os.environ.get("PLAIT_TEST_POSTGRES_URL"))
    parser.add_argument("--dir", type=Path, help="where the SQLite files go (default: temp)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the figures here")
    options = parser.parse_args(argv)
    if options.n < 1 or options.size < 0:
        parser.error("--n must be positive, --size not negative")
    with tempfile.TemporaryDirectory(dir=options.dir) as directory:
        figures = anyio.run(measure_all, options.n, options.size, Path(directory), options.postgres)
    if options.json is not None:
        records = [asdict(figure) | {"ratio": figure.ratio} for figure in figures]
        options.json.write_text(json.dumps(records, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
