"""What only the SQLite store does: a WAL file, its settings, and damage done to the file."""

from __future__ import annotations

import hashlib
import sqlite3
import sys
import textwrap
from pathlib import Path

import anyio
import pytest

from plait.engine.stores._protocol import (
    SCHEMA_VERSION,
    CorruptRecordError,
    OutputRecord,
    RunLockedError,
    StoreError,
)
from plait.engine.stores._sqlite import SQLiteStore

from .test_conformance import run

pytestmark = pytest.mark.anyio


def _read(path: Path, query: str) -> list[tuple[object, ...]]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(query).fetchall()
    finally:
        connection.close()


def _write(path: Path, statement: str, values: tuple[object, ...] = ()) -> None:
    connection = sqlite3.connect(path)
    try:
        with connection:
            connection.execute(statement, values)
    finally:
        connection.close()


async def test_the_file_is_in_wal_mode_with_full_sync(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "runs.db"  # the directory is created
    async with SQLiteStore(path) as store:
        await store.put_run(run())
        assert store._connection._connection is not None
        assert store._connection._connection.execute("PRAGMA synchronous").fetchone() == (
            2,
        )  # FULL
        assert store._connection._connection.execute("PRAGMA foreign_keys").fetchone() == (1,)
    assert _read(path, "PRAGMA journal_mode") == [("wal",)]
    assert _read(path, "SELECT version FROM plait_schema") == [(SCHEMA_VERSION,)]


async def test_synchronous_is_a_choice(tmp_path: Path) -> None:
    async with SQLiteStore(tmp_path / "runs.db", synchronous="normal") as store:
        assert store._connection._connection is not None
        assert store._connection._connection.execute("PRAGMA synchronous").fetchone() == (1,)
    with pytest.raises(StoreError, match="synchronous='sometimes': expected one of OFF"):
        SQLiteStore(tmp_path / "runs.db", synchronous="sometimes")


async def test_a_file_that_is_not_a_database_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("shopping list: eggs, milk, bread, " * 100, encoding="utf-8")
    with pytest.raises(StoreError, match=r"notes\.txt: cannot open the database: file is not"):
        await SQLiteStore(path).open()


async def test_an_unopenable_path_is_refused_by_name(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file, not a directory", encoding="utf-8")
    with pytest.raises(StoreError, match=r"taken/runs\.db: cannot open the file"):
        await SQLiteStore(tmp_path / "taken" / "runs.db").open()


async def test_a_tampered_checksum_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    async with SQLiteStore(path) as store:
        await store.put_run(run())
        await store.put_outputs([OutputRecord.of("r1", "a", 1, b"value", 1.0)])
    _write(path, "UPDATE plait_outputs SET checksum = ?", (hashlib.sha256(b"x").hexdigest(),))
    async with SQLiteStore(path) as store:
        with pytest.raises(CorruptRecordError, match="run r1: the stored output of node `a`"):
            await store.load("r1")


async def test_output_bytes_turned_into_text_are_detected(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    async with SQLiteStore(path) as store:
        await store.put_run(run())
        await store.put_outputs([OutputRecord.of("r1", "a", 1, b"value", 1.0)])
    _write(path, "UPDATE plait_outputs SET data = 'value'")
    async with SQLiteStore(path) as store:
        with pytest.raises(CorruptRecordError, match="output of node `a` is corrupt: its seal"):
            await store.load("r1")


async def test_an_unknown_stored_status_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    async with SQLiteStore(path) as store:
        await store.put_run(run())
    _write(path, "UPDATE plait_runs SET status = 'sleeping'")
    async with SQLiteStore(path) as store:
        with pytest.raises(CorruptRecordError, match="run r1: the stored run state is corrupt"):
            await store.load("r1")


async def test_a_lease_held_by_another_process_is_respected(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    child = textwrap.dedent(
        f"""
        import anyio
        from plait.engine.stores._sqlite import SQLiteStore

        async def main() -> None:
            async with SQLiteStore({str(path)!r}) as store:
                await store.acquire("r1", "child", ttl=60.0, now=1000.0)

        anyio.run(main)
        """
    )
    with anyio.fail_after(60):
        await anyio.run_process([sys.executable, "-c", child])
    async with SQLiteStore(path) as store:
        with pytest.raises(RunLockedError, match="held by child"):
            await store.acquire("r1", "parent", ttl=60.0, now=1030.0)
        await store.acquire("r1", "parent", ttl=60.0, now=1060.0)
