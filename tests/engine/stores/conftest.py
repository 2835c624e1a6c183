"""Every store test runs against each store kind, on asyncio and trio.

PostgreSQL runs against the server named by ``PLAIT_TEST_POSTGRES_URL`` (``.ci/run`` starts
one with ``scripts/ci/postgres.sh``), Redis against ``PLAIT_TEST_REDIS_URL``
(``scripts/ci/redis.sh``). Without the variable a kind's tests are skipped locally and
fail in CI (``CI`` set), so CI can never pass without running them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from .harness import (
    AnyStore,
    Harness,
    MemoryHarness,
    PostgresHarness,
    RedisHarness,
    SQLiteHarness,
)

KINDS = ("memory", "sqlite", "postgres", "redis")
BACKENDS = {
    "memory": ("asyncio", "trio"),
    "sqlite": ("asyncio", "trio"),
    "postgres": ("asyncio",),  # psycopg's async driver runs on asyncio only
    "redis": ("asyncio",),  # so does redis-py's
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "stores(*kinds): run only against these store kinds (default: all)"
    )


@pytest.fixture
def anyio_backend() -> str:
    """Never called: ``pytest_generate_tests`` below parametrises every use."""
    raise AssertionError("anyio_backend is parametrised by pytest_generate_tests")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Pair ``store_kind`` with the backends it runs on; other async tests get both."""
    if "anyio_backend" not in metafunc.fixturenames:
        return
    for mark in metafunc.definition.iter_markers("parametrize"):
        if "anyio_backend" in str(mark.args[0]):
            return
    if "store_kind" not in metafunc.fixturenames:
        metafunc.parametrize("anyio_backend", ["asyncio", "trio"])
        return
    marker = metafunc.definition.get_closest_marker("stores")
    kinds = marker.args if marker is not None else KINDS
    pairs = [(kind, backend) for kind in kinds for backend in BACKENDS[kind]]
    ids = [f"{kind}-{backend}" for kind, backend in pairs]
    metafunc.parametrize(("store_kind", "anyio_backend"), pairs, ids=ids)


@pytest.fixture
def postgres_url() -> str:
    """The test server's URL; skips locally without one, fails in CI."""
    url = os.environ.get("PLAIT_TEST_POSTGRES_URL")
    if url:
        return url
    if os.environ.get("CI"):
        pytest.fail(
            "CI is set but PLAIT_TEST_POSTGRES_URL is not: .ci/run must start PostgreSQL "
            "(scripts/ci/postgres.sh) and export it"
        )
    pytest.skip("no PostgreSQL: set PLAIT_TEST_POSTGRES_URL (see scripts/ci/postgres.sh)")


@pytest.fixture
def redis_url() -> str:
    """The test Redis server's URL; skips locally without one, fails in CI."""
    url = os.environ.get("PLAIT_TEST_REDIS_URL")
    if url:
        return url
    if os.environ.get("CI"):
        pytest.fail(
            "CI is set but PLAIT_TEST_REDIS_URL is not: .ci/run must start Redis "
            "(scripts/ci/redis.sh) and export it"
        )
    pytest.skip("no Redis: set PLAIT_TEST_REDIS_URL (see scripts/ci/redis.sh)")


@pytest.fixture
def harness(store_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Harness]:
    """A fresh, empty database of ``store_kind``."""
    if store_kind == "memory":
        yield MemoryHarness()
    elif store_kind == "sqlite":
        yield SQLiteHarness(tmp_path / "runs.db")
    elif store_kind == "redis":
        redis_url = request.getfixturevalue("redis_url")
        redis = RedisHarness(redis_url, f"plait_test_{uuid.uuid4().hex[:12]}")
        try:
            yield redis
        finally:
            redis.drop()
    else:
        url: str = request.getfixturevalue("postgres_url")
        postgres = PostgresHarness(url, f"plait_test_{uuid.uuid4().hex[:12]}")
        postgres.create()
        try:
            yield postgres
        finally:
            postgres.drop()


@pytest.fixture
async def store(harness: Harness) -> AsyncIterator[AnyStore]:
    """An open store on the harness's database, closed afterwards."""
    opened = harness.make()
    await opened.open()
    try:
        yield opened
    finally:
        await opened.close()
