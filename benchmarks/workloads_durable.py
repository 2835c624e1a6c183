"""W4: the 1000-node chain checkpointed to SQLite, beside raw insert-and-commit per step."""

from __future__ import annotations

import itertools
import sqlite3
import tempfile
import time
from pathlib import Path

import anyio
import anyio.to_thread
from answers import as_int
from bodies import noop
from harness import Trial
from workloads_plait import define_chain

import plait
from plait.engine import SQLiteStore

__all__ = ["floor_chain", "floor_loop_chain", "plait_chain"]

_ROOT = Path(tempfile.mkdtemp(prefix="plait-w4-"))
_names = (f"db{index}" for index in itertools.count())


def _size(database: Path) -> float:
    return float(sum(path.stat().st_size for path in database.parent.glob(database.name + "*")))


def floor_loop_chain(n: int, x: int) -> Trial:
    """``noop`` then one raw sqlite3 insert-and-commit (WAL, FULL) per step, made on the
    event loop itself: W4's target is set against this one (issue 17)."""
    return floor_chain(n, x, hop=False)


def floor_chain(n: int, x: int, *, hop: bool = True) -> Trial:
    """``noop`` then one raw sqlite3 insert-and-commit (WAL, FULL) per step.

    The commit goes through ``anyio.to_thread`` like the store's (``hop``): an async engine
    must not block its event loop on a disk flush, so that hop is the thread floor.
    """
    database = _ROOT / f"{next(_names)}.sqlite"
    connection = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = FULL")
    connection.execute(
        "CREATE TABLE outputs (run TEXT, node TEXT, attempt INTEGER, data BLOB, "
        "checksum TEXT, at REAL, PRIMARY KEY (run, node))"
    )
    runs = itertools.count()

    def commit(run: int, step: int, value: int) -> None:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute(
            "INSERT INTO outputs VALUES (?, ?, ?, ?, ?, ?)",
            (f"r{run}", f"n{step}", 1, str(value).encode(), "", time.time()),
        )
        connection.execute("COMMIT")

    async def run() -> int:
        this = next(runs)
        value = x
        for step in range(n):
            value = await noop(value)
            if hop:
                await anyio.to_thread.run_sync(commit, this, step, value)
            else:
                commit(this, step, value)
        return value

    def extra() -> dict[str, float]:
        return {"db_bytes": _size(database) / max(next(runs), 1)}

    return Trial(run=run, answer=as_int, extra=extra)


def plait_chain(n: int, x: int, durability: str) -> Trial:
    """The W1 chain with ``RunOptions(store=SQLiteStore(...), durability=...)``."""
    builder, last = define_chain(n)
    graph = builder.build(last)
    database = _ROOT / f"{next(_names)}.sqlite"
    store = SQLiteStore(database)
    opened: list[bool] = []
    runs = itertools.count()

    async def run() -> int:
        if not opened:
            await store.open()
            opened.append(True)
        next(runs)
        options = plait.RunOptions(store=store, durability=durability)  # type: ignore[arg-type]
        return (await plait.run(graph, {"x": x}, options=options)).output

    def extra() -> dict[str, float]:
        return {"db_bytes": _size(database) / max(next(runs), 1)}

    return Trial(run=run, answer=as_int, extra=extra)
