"""Every cache test runs against each backend: memory and SQLite on asyncio and trio,
PostgreSQL and Redis on asyncio (``PLAIT_TEST_POSTGRES_URL``, ``PLAIT_TEST_REDIS_URL``;
skipped locally without them, failing in CI), each on a fresh database or key prefix."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from plait.engine import MemoryCache, PostgresCache, RedisCache, ResultCache, SQLiteCache
from tests.engine.stores.harness import PostgresHarness, RedisHarness

PAIRS = [
    ("memory", "asyncio"),
    ("memory", "trio"),
    ("sqlite", "asyncio"),
    ("sqlite", "trio"),
    ("postgres", "asyncio"),  # psycopg's async driver runs on asyncio only
    ("redis", "asyncio"),  # so does redis-py's
]


@pytest.fixture
def anyio_backend() -> str:
    """Never called: ``pytest_generate_tests`` below parametrises every use."""
    raise AssertionError("anyio_backend is parametrised by pytest_generate_tests")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "anyio_backend" not in metafunc.fixturenames:
        return
    if "cache_kind" not in metafunc.fixturenames:
        metafunc.parametrize("anyio_backend", ["asyncio", "trio"])
        return
    ids = [f"{kind}-{backend}" for kind, backend in PAIRS]
    metafunc.parametrize(("cache_kind", "anyio_backend"), PAIRS, ids=ids)


@pytest.fixture
def cache_url(cache_kind: str, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh, empty cache of ``cache_kind``."""
    if cache_kind == "memory":
        yield "memory://"
    elif cache_kind == "sqlite":
        yield f"sqlite:///{tmp_path}/runs.db"
    elif cache_kind == "redis":
        server = os.environ.get("PLAIT_TEST_REDIS_URL")
        if not server:
            if os.environ.get("CI"):
                pytest.fail("CI is set but PLAIT_TEST_REDIS_URL is not")
            pytest.skip("no Redis: set PLAIT_TEST_REDIS_URL (see scripts/ci/redis.sh)")
        keys = RedisHarness(server, f"plait_cache_{uuid.uuid4().hex[:12]}")
        try:
            yield f"{server}?prefix={keys.prefix}"
        finally:
            keys.drop()
    else:
        url = os.environ.get("PLAIT_TEST_POSTGRES_URL")
        if not url:
            if os.environ.get("CI"):
                pytest.fail("CI is set but PLAIT_TEST_POSTGRES_URL is not")
            pytest.skip("no PostgreSQL: set PLAIT_TEST_POSTGRES_URL (see scripts/ci/postgres.sh)")
        harness = PostgresHarness(url, f"plait_cache_{uuid.uuid4().hex[:12]}")
        harness.create()
        try:
            yield harness.url
        finally:
            harness.drop()


def make_cache(kind: str, url: str) -> ResultCache:
    if kind == "memory":
        return MemoryCache()
    if kind == "sqlite":
        return SQLiteCache(url.removeprefix("sqlite:///"))
    if kind == "redis":
        server, _, prefix = url.partition("?prefix=")
        return RedisCache(server, prefix=prefix)
    return PostgresCache(url)


@pytest.fixture
async def cache(cache_kind: str, cache_url: str) -> AsyncIterator[ResultCache]:
    """An open cache of ``cache_kind``, closed afterwards."""
    opened = make_cache(cache_kind, cache_url)
    await opened.open()
    try:
        yield opened
    finally:
        await opened.close()
