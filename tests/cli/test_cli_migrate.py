"""``plait migrate`` brings a store written by an older plait up to date, from the shell."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import anyio
import pytest

import plait.cli
from plait.engine import SCHEMA_VERSION, SQLiteStore


def _version_1_store(path: Path) -> None:
    """A SQLite store as the first release wrote it: no journal, threads, shared memory
    or lease tokens."""

    async def create() -> None:
        async with SQLiteStore(path):
            pass

    anyio.run(create)
    with sqlite3.connect(path) as connection:
        connection.execute("DROP TABLE plait_journal")
        connection.execute("DROP TABLE plait_threads")
        connection.execute("DROP TABLE plait_shared")
        connection.execute("ALTER TABLE plait_leases DROP COLUMN token")
        connection.execute("UPDATE plait_schema SET version = 1")
    connection.close()


def test_a_version_3_store_with_a_held_lease_migrates_to_fenced_leases(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "runs.db"

    async def create() -> None:
        async with SQLiteStore(path) as store:
            await store.acquire("r1", "an-older-plait", ttl=3600.0, now=2e9)

    anyio.run(create)
    with sqlite3.connect(path) as connection:
        connection.execute("ALTER TABLE plait_leases DROP COLUMN token")
        connection.execute("DROP TABLE plait_shared")
        connection.execute("UPDATE plait_schema SET version = 3")
    connection.close()
    url = f"sqlite:///{path}"
    assert plait.cli.main(["runs", "--store", url]) == 1
    assert "schema version 3, older" in capsys.readouterr().err

    assert plait.cli.main(["migrate", "--store", url]) == 0
    assert "schema version 5" in capsys.readouterr().out
    with sqlite3.connect(path) as connection:
        held = connection.execute("SELECT owner, token FROM plait_leases").fetchall()
    connection.close()
    assert held == [("an-older-plait", 0)]  # kept; the next owner takes token 1


def test_an_old_store_is_refused_in_one_line_then_migrated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "runs.db"
    _version_1_store(path)
    url = f"sqlite:///{path}"

    assert plait.cli.main(["runs", "--store", url]) == 1
    refused = capsys.readouterr().err
    assert refused.count("\n") == 1
    assert "schema version 1, older" in refused
    assert "`plait migrate`" in refused

    assert plait.cli.main(["migrate", "--store", url]) == 0
    assert f"schema version {SCHEMA_VERSION}" in capsys.readouterr().out
    assert plait.cli.main(["runs", "--store", url]) == 0
    assert plait.cli.main(["migrate", "--store", url]) == 0  # already current: no change


def test_a_newer_store_is_not_migrated(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "runs.db"
    _version_1_store(path)
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE plait_schema SET version = ?", (SCHEMA_VERSION + 1,))
    connection.close()

    assert plait.cli.main(["migrate", "--store", f"sqlite:///{path}"]) == 1
    assert "upgrade plait" in capsys.readouterr().err
