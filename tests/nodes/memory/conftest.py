"""Vector indexes for the conformance suite: one fixture opens each backend."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import pytest

from plait.nodes.memory.vectors import (
    NumpyIndex,
    PostgresVectorIndex,
    SQLiteVectorIndex,
    VectorIndex,
)

OpenIndex = Callable[[int], AbstractAsyncContextManager[VectorIndex]]
"""Opens the test's index (the same one each call) with a dimension."""


def postgres_url() -> str:
    """The test server's URL; skips locally without one, fails in CI."""
    url = os.environ.get("PLAIT_TEST_POSTGRES_URL")
    if url:
        return url
    if os.environ.get("CI"):
        pytest.fail("CI is set but PLAIT_TEST_POSTGRES_URL is not: .ci/run must start PostgreSQL")
    pytest.skip("no PostgreSQL: set PLAIT_TEST_POSTGRES_URL (see scripts/ci/postgres.sh)")


@pytest.fixture(params=["numpy", "sqlite", "postgres"])
def open_index(request: pytest.FixtureRequest, tmp_path: Path) -> OpenIndex:
    """Opens one index of the backend; a persistent one reopens what it stored before."""
    kind: str = request.param
    shared = NumpyIndex  # the numpy index lives as long as the test: reopening returns it
    kept: dict[int, NumpyIndex] = {}
    name = f"test_{uuid.uuid4().hex[:12]}"
    url = postgres_url() if kind == "postgres" else ""

    @asynccontextmanager
    async def open_it(dimension: int) -> AsyncIterator[VectorIndex]:
        if kind == "numpy":
            yield kept.setdefault(dimension, shared(dimension))
        elif kind == "sqlite":
            async with SQLiteVectorIndex(tmp_path / "vectors.db", name, dimension=dimension) as s:
                yield s
        else:
            async with PostgresVectorIndex(url, name, dimension=dimension) as p:
                yield p

    open_it.kind = kind  # type: ignore[attr-defined]
    return open_it
