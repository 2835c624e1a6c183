"""What only the PostgreSQL store does: its driver's errors, asyncio, and connection trouble."""

from __future__ import annotations

import os
import urllib.parse

import pytest

from plait.engine.stores._postgres import PostgresStore
from plait.engine.stores._postgres_connection import describe, translate
from plait.engine.stores._protocol import OutputRecord, StoreError

pytestmark = pytest.mark.anyio


@pytest.fixture
def psycopg_installed() -> None:
    """Skips locally without psycopg (the ``postgres`` extra); CI must have it."""
    try:
        import psycopg  # noqa: F401
        import psycopg_pool  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            raise
        pytest.skip("psycopg is not installed: pip install -e '.[postgres]'")


def _subclasses(root: type[Exception]) -> set[type[Exception]]:
    found = {root}
    for child in root.__subclasses__():
        found |= _subclasses(child)
    return found


@pytest.mark.usefixtures("psycopg_installed")
def test_every_driver_error_becomes_a_store_error() -> None:
    import psycopg
    import psycopg_pool

    classes = _subclasses(psycopg.Error) | _subclasses(psycopg_pool.PoolTimeout)
    classes |= {psycopg_pool.PoolClosed, psycopg_pool.TooManyRequests}
    assert len(classes) > 200  # every SQLSTATE class psycopg knows
    for kind in classes:
        translated = translate(kind("what went wrong"), "PostgreSQL store here", "do the thing")
        assert isinstance(translated, StoreError), kind
        assert str(translated).startswith("PostgreSQL store here: cannot do the thing: "), kind


@pytest.mark.parametrize("anyio_backend", ["trio"])
@pytest.mark.usefixtures("psycopg_installed")
async def test_trio_is_refused_with_a_reason() -> None:
    store = PostgresStore("postgresql://plait:secret@127.0.0.1:1/plait")
    with pytest.raises(StoreError, match="runs on asyncio only") as raised:
        await store.open()
    assert "secret" not in str(raised.value)


@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # psycopg's async driver needs asyncio
@pytest.mark.usefixtures("psycopg_installed")
async def test_an_unreachable_server_is_a_store_error_without_the_password() -> None:
    store = PostgresStore("postgresql://plait:secret@127.0.0.1:1/plait", timeout=2)
    with pytest.raises(StoreError, match="the server is unreachable or failed") as raised:
        await store.open()
    message = str(raised.value)
    assert message.startswith("PostgreSQL store postgresql://plait@127.0.0.1:1/plait: ")
    assert "secret" not in message
    with pytest.raises(StoreError, match="not open"):
        await store.list_runs()


@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # psycopg's async driver needs asyncio
async def test_a_wrong_password_is_a_store_error(postgres_url: str) -> None:
    parts = urllib.parse.urlsplit(postgres_url)
    if parts.password is None:
        pytest.skip("the test server's URL has no password to get wrong")
    host = parts.netloc.rpartition("@")[2]
    wrong = parts._replace(netloc=f"{parts.username}:not-the-password@{host}").geturl()
    with pytest.raises(StoreError, match="password authentication failed") as raised:
        await PostgresStore(wrong, timeout=5).open()
    assert "not-the-password" not in str(raised.value)


@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # psycopg's async driver needs asyncio
async def test_more_concurrent_calls_than_connections_wait_their_turn(postgres_url: str) -> None:
    import anyio

    from .harness import PostgresHarness
    from .test_conformance import run

    harness = PostgresHarness(postgres_url, "plait_test_small_pool")
    harness.drop()
    harness.create()
    try:
        async with PostgresStore(harness.url, min_size=1, max_size=2) as store:
            await store.put_run(run())
            async with anyio.create_task_group() as group:
                for index in range(30):
                    output = OutputRecord.of("r1", f"n{index}", 1, b"x", 1.0)
                    group.start_soon(store.put_outputs, [output])
            stored = await store.load("r1")
            assert stored is not None
            assert len(stored.outputs) == 30
    finally:
        harness.drop()


def test_describe_hides_the_password() -> None:
    assert describe("postgresql://me:pw@db.internal:5433/runs?sslmode=require") == (
        "postgresql://me@db.internal:5433/runs"
    )
    assert describe("host=db password='p w' user=me") == "host=db password=*** user=me"
    assert describe("host=db password=pw user=me") == "host=db password=*** user=me"


def test_loading_the_stores_leaves_psycopg_unloaded() -> None:
    import subprocess
    import sys

    code = (
        "import sys, plait.engine.stores._url\n"
        "print([name for name in ('psycopg', 'psycopg_pool') if name in sys.modules])"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert completed.stdout.strip() == "[]"
