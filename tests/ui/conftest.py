"""Fixtures of the viewer's tests: a SQLite store with runs in it, and the app on it."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Literal, cast

import anyio
import pytest

from plait.engine import RunOptions, StoredRun, open_store, run
from plait.graphs import Graph
from plait.nodes import Secrets


def run_into(
    url: str, graph: Graph[object], inputs: Mapping[str, object], secrets: Secrets | None = None
) -> str:
    """Run ``graph`` on ``inputs`` into the store at ``url``; the run id."""

    async def go() -> str:
        store = open_store(url)
        await store.open()
        try:
            result = await run(graph, inputs, options=RunOptions(store=store, secrets=secrets))
        finally:
            await store.close()
        return result.run_id

    return anyio.run(go)


def load(url: str, run_id: str) -> StoredRun:
    """The stored run ``run_id``."""

    async def go() -> StoredRun:
        store = open_store(url)
        await store.open()
        try:
            found = await store.load(run_id)
        finally:
            await store.close()
        assert found is not None
        return found

    return anyio.run(go)


def wait_for_status(url: str, run_id: str, wanted: str, seconds: float = 10.0) -> StoredRun:
    """The stored run once its status is ``wanted``; fails after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        stored = load(url, run_id)
        if stored.run.status.value == wanted or time.monotonic() > deadline:
            assert stored.run.status.value == wanted, stored.run
            return stored
        time.sleep(0.05)


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'runs.db'}"


@pytest.fixture
def backend(anyio_backend: str) -> Literal["asyncio", "trio"]:
    """The event loop the app runs on in Starlette's TestClient: asyncio, then trio."""
    return cast(Literal["asyncio", "trio"], anyio_backend)
