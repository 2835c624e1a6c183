"""``open_store``: a URL names a store, and anything else is explained."""

from __future__ import annotations

from pathlib import Path

import pytest

from plait.engine.stores._memory import MemoryStore
from plait.engine.stores._postgres import PostgresStore
from plait.engine.stores._protocol import Store, StoreError
from plait.engine.stores._redis import RedisStore
from plait.engine.stores._sqlite import SQLiteStore
from plait.engine.stores._url import open_store


def test_memory() -> None:
    store = open_store("memory://")
    assert isinstance(store, MemoryStore)
    assert isinstance(store, Store)


@pytest.mark.parametrize(
    ("url", "path", "synchronous"),
    [
        ("sqlite:///runs.db", "runs.db", "FULL"),
        ("sqlite:///.plait/runs.db", ".plait/runs.db", "FULL"),
        ("sqlite:////var/lib/plait/runs.db", "/var/lib/plait/runs.db", "FULL"),
        ("sqlite:///my%20runs.db?synchronous=normal", "my runs.db", "NORMAL"),
        ("SQLite:///:memory:", ":memory:", "FULL"),
    ],
)
def test_sqlite(url: str, path: str, synchronous: str) -> None:
    store = open_store(url)
    assert isinstance(store, SQLiteStore)
    assert store.path == Path(path)
    assert store.synchronous == synchronous


@pytest.mark.parametrize(
    "url", ["postgresql://me:pw@localhost:5432/runs", "postgres://localhost/runs?sslmode=disable"]
)
def test_postgresql(url: str) -> None:
    store = open_store(url)
    assert isinstance(store, PostgresStore)
    assert store.conninfo == url


@pytest.mark.parametrize(
    ("url", "kept", "prefix"),
    [
        ("redis://localhost:6379/0", "redis://localhost:6379/0", "plait"),
        ("redis://:pw@localhost/2?prefix=team-a", "redis://:pw@localhost/2", "team-a"),
        (
            "rediss://me:pw@cache:6380/0?prefix=ci&health_check_interval=5",
            "rediss://me:pw@cache:6380/0?health_check_interval=5",
            "ci",
        ),
    ],
)
def test_redis(url: str, kept: str, prefix: str) -> None:
    store = open_store(url)
    assert isinstance(store, RedisStore)
    assert isinstance(store, Store)
    assert (store.url, store.prefix) == (kept, prefix)
    assert "pw" not in repr(store)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("mongodb://localhost:27017", "the scheme `mongodb` is not one plait knows"),
        ("redis://localhost:6379/0?prefix=", "`prefix=` needs a name"),
        ("runs.db", "it has no scheme"),
        ("memory://extra", "`memory://` takes nothing after the scheme"),
        ("sqlite://runs.db", "use three slashes before a relative path"),
        ("sqlite:///", "it names no file"),
        ("sqlite:////", "it names no file"),
        ("sqlite:///runs.db?journal=off", "unknown option journal (expected: synchronous)"),
    ],
)
def test_anything_else_is_explained_with_the_accepted_forms(url: str, reason: str) -> None:
    with pytest.raises(StoreError) as raised:
        open_store(url)
    message = str(raised.value)
    assert reason in message
    for form in ("memory://", "sqlite:///relative/path.db", "sqlite:////absolute/path.db"):
        assert f"`{form}`" in message
    assert "`postgresql://user:password@host:port/database`" in message
    assert "`redis://:password@host:port/db?prefix=plait`" in message


def test_a_bad_synchronous_value_is_explained() -> None:
    with pytest.raises(StoreError, match="synchronous='maybe'"):
        open_store("sqlite:///runs.db?synchronous=maybe")


def test_an_error_never_shows_a_password() -> None:
    with pytest.raises(StoreError) as raised:
        open_store("mysql://admin:hunter2@db.internal/runs")
    assert "hunter2" not in str(raised.value)
    assert "mysql://admin:***@db.internal/runs" in str(raised.value)


@pytest.mark.anyio
async def test_a_relative_sqlite_path_is_under_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = open_store("sqlite:///.plait/runs.db")
    assert isinstance(store, SQLiteStore)
    async with store:
        assert await store.list_runs() == []
    assert (tmp_path / ".plait" / "runs.db").is_file()
