"""``plait migrate`` brings a store written by an older plait up to date, from the shell."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import anyio
import pytest

import plait.cli
from plait.engine import SCHEMA_VERSION, SQLiteStore
from tests.fixtures.golden.old import old_store


def _version_1_store(path: Path) -> None:
    """A SQLite store as the first release wrote it: no journal, threads, shared memory
    or lease tokens."""
    old_store(path, 1)


def test_a_version_3_store_with_a_held_lease_migrates_to_fenced_leases(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "runs.db"

    old_store(path, 3)
    with sqlite3.connect(path) as connection:
        connection.execute("INSERT INTO plait_leases VALUES ('r1', 'an-older-plait', 2e9 + 3600)")
    connection.close()
    url = f"sqlite:///{path}"
    assert plait.cli.main(["runs", "--store", url]) == 1
    assert "schema version 3, older" in capsys.readouterr().err

    assert plait.cli.main(["migrate", "--store", url]) == 0
    assert f"schema version {SCHEMA_VERSION}" in capsys.readouterr().out
    with sqlite3.connect(path) as connection:
        held = connection.execute(
            "SELECT owner, token FROM plait_leases WHERE run_id = 'r1'"
        ).fetchall()
    connection.close()
    assert held == [("an-older-plait", 0)]  # kept; the next owner takes token 1

    async def check() -> None:
        async with SQLiteStore(path) as store:
            stored = await store.load("golden-links")
            assert stored is not None
            assert sorted(stored.outputs) == ["each[0]/measure", "each[1]/measure"]
            assert stored.failures[0].message == "c.example timed out"

    anyio.run(check)  # every record of the version 3 file carried over, sealed


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
