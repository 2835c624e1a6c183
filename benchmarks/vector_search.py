"""Exact top-10 vector search: each plait index beside a plain numpy brute force.

For each size (10k and 100k vectors of 384 dimensions, random, seeded), every backend
answers the same queries, interleaved query by query (the order rotates) so drift hits all
alike: a plain numpy brute force (unit float32 matrix, ``argpartition``), ``NumpyIndex``,
``SQLiteVectorIndex`` and, when a server is named, ``PostgresVectorIndex``. Printed per
backend: p50 and p95 latency, the p50 ratio to numpy, recall@10 against the brute force,
and for the persistent ones the time to open (load) the stored index.

Target (issue 16): the in-process index <= 1.2x numpy; the SQLite index's recall@10 = 1.0.

Usage: ``python benchmarks/vector_search.py [--sizes 10000 100000] [--queries 200]
[--postgres URL] [--json FILE]``. PostgreSQL is measured when ``--postgres`` (or
``PLAIT_TEST_POSTGRES_URL``) names a server; its tables are dropped afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
import typing
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import anyio
import numpy as np
import numpy.typing as npt

from plait.nodes.memory.vectors import (
    NumpyIndex,
    PostgresVectorIndex,
    SQLiteVectorIndex,
    Vector,
    VectorIndex,
)

__all__ = ["Figure", "main", "measure"]

DIMENSION = 384
K = 10
TARGET_RATIO = 1.2

Search = Callable[[npt.NDArray[np.float32]], Awaitable[list[str]]]


@dataclass(frozen=True, slots=True)
class Figure:
    """One backend at one size."""

    size: int
    backend: str
    p50_ms: float
    p95_ms: float
    ratio_to_numpy: float
    recall_at_10: float
    open_s: float | None


def _numpy_search(matrix: npt.NDArray[np.float32], ids: list[str]) -> Search:
    async def search(query: npt.NDArray[np.float32]) -> list[str]:
        unit = query / np.linalg.norm(query)
        scores = matrix @ unit
        part = np.argpartition(-scores, K - 1)[:K]
        return [ids[i] for i in part[np.argsort(-scores[part])]]

    return search


def _index_search(index: VectorIndex) -> Search:
    async def search(query: npt.NDArray[np.float32]) -> list[str]:
        return [hit.id for hit in await index.search(typing.cast(Vector, query), K)]

    return search


async def _fill(index: VectorIndex, ids: list[str], data: npt.NDArray[np.float32]) -> None:
    for start in range(0, len(ids), 5000):
        chunk = typing.cast(Sequence[Vector], data[start : start + 5000])
        await index.add(ids[start : start + 5000], chunk)


async def _persistent(
    make: Callable[[], VectorIndex], ids: list[str], data: npt.NDArray[np.float32]
) -> tuple[VectorIndex, float]:
    """Fill the index, close it, and time opening it again (loading every row)."""
    index = make()
    async with index:  # type: ignore[attr-defined]
        await _fill(index, ids, data)
    again = make()
    started = time.perf_counter()
    await again.open()  # type: ignore[attr-defined]
    return again, time.perf_counter() - started


async def measure(size: int, queries: int, postgres: str | None, folder: Path) -> list[Figure]:
    """Every backend's figures at ``size`` vectors."""
    rng = np.random.default_rng(size)
    data = rng.standard_normal((size, DIMENSION), dtype=np.float32)
    ids = [f"v{i}" for i in range(size)]
    matrix = data / np.linalg.norm(data, axis=1, keepdims=True)
    probes = rng.standard_normal((queries, DIMENSION), dtype=np.float32)

    in_process = NumpyIndex(DIMENSION)
    await _fill(in_process, ids, data)
    name = f"bench_{uuid.uuid4().hex[:8]}"
    sqlite, sqlite_open = await _persistent(
        lambda: SQLiteVectorIndex(folder / f"vectors-{size}.db", name, dimension=DIMENSION),
        ids,
        data,
    )
    backends: dict[str, Search] = {
        "numpy brute force": _numpy_search(matrix, ids),
        "NumpyIndex": _index_search(in_process),
        "SQLiteVectorIndex": _index_search(sqlite),
    }
    opened: dict[str, float] = {"SQLiteVectorIndex": sqlite_open}
    closers = [sqlite]
    if postgres:
        pg, pg_open = await _persistent(
            lambda: PostgresVectorIndex(postgres, name, dimension=DIMENSION), ids, data
        )
        backends["PostgresVectorIndex"] = _index_search(pg)
        opened["PostgresVectorIndex"] = pg_open
        closers.append(pg)
    try:
        figures = await _interleaved(backends, probes, opened, size)
    finally:
        for index in closers:
            await index.close()  # type: ignore[attr-defined]
        if postgres:
            _drop_postgres(postgres, name)
    return figures


async def _interleaved(
    backends: dict[str, Search],
    probes: npt.NDArray[np.float32],
    opened: dict[str, float],
    size: int,
) -> list[Figure]:
    names = list(backends)
    times: dict[str, list[float]] = {name: [] for name in names}
    hits: dict[str, list[list[str]]] = {name: [] for name in names}
    for warm in probes[:5]:
        for name in names:
            await backends[name](warm)
    for turn, query in enumerate(probes):
        order = names[turn % len(names) :] + names[: turn % len(names)]
        for name in order:
            started = time.perf_counter()
            found = await backends[name](query)
            times[name].append(time.perf_counter() - started)
            hits[name].append(found)
    truth = hits["numpy brute force"]
    base = statistics.median(times["numpy brute force"])
    figures = []
    for name in names:
        recall = statistics.mean(
            len(set(found) & set(true)) / K for found, true in zip(hits[name], truth, strict=True)
        )
        ordered = sorted(times[name])
        figures.append(
            Figure(
                size=size,
                backend=name,
                p50_ms=1000 * statistics.median(ordered),
                p95_ms=1000 * ordered[int(0.95 * (len(ordered) - 1))],
                ratio_to_numpy=statistics.median(ordered) / base,
                recall_at_10=recall,
                open_s=opened.get(name),
            )
        )
    return figures


def _drop_postgres(url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("DELETE FROM plait_vectors WHERE index_name = %s", (name,))
        connection.execute("DELETE FROM plait_vector_indexes WHERE name = %s", (name,))


def _print(figures: list[Figure]) -> None:
    print(
        f"{'size':>7}  {'backend':<20} {'p50 ms':>8} {'p95 ms':>8} {'x numpy':>8} "
        f"{'recall@10':>9} {'open s':>7}  target"
    )
    for f in figures:
        target = ""
        if f.backend == "NumpyIndex":
            met = "met" if f.ratio_to_numpy <= TARGET_RATIO else "MISSED"
            target = f"<= {TARGET_RATIO}x numpy: {met}"
        elif f.backend == "SQLiteVectorIndex":
            target = f"recall@10 = 1.0: {'met' if f.recall_at_10 == 1.0 else 'MISSED'}"
        opened = f"{f.open_s:7.2f}" if f.open_s is not None else f"{'':>7}"
        print(
            f"{f.size:>7}  {f.backend:<20} {f.p50_ms:8.3f} {f.p95_ms:8.3f} "
            f"{f.ratio_to_numpy:8.2f} {f.recall_at_10:9.3f} {opened}  {target}"
        )


def main(argv: Sequence[str] | None = None) -> list[Figure]:
    """Run, print, and optionally write the figures as JSON."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=200, help="queries per size")
    parser.add_argument("--postgres", default=os.environ.get("PLAIT_TEST_POSTGRES_URL"))
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the figures here")
    options = parser.parse_args(argv)
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as folder:
        for size in options.sizes:
            figures.extend(
                anyio.run(measure, size, options.queries, options.postgres, Path(folder))
            )
    _print(figures)
    if options.json:
        options.json.write_text(json.dumps([asdict(f) for f in figures], indent=2))
    return figures


if __name__ == "__main__":
    main()
