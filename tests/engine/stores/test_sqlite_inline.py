"""The SQLite store commits a small write on the event loop, and never stalls the loop on a
file another connection has locked (docs/adr-024-record-format.md)."""

from __future__ import annotations

import itertools
import sqlite3
import threading
import time
from pathlib import Path

import anyio
import pytest

from plait.engine.stores._protocol import CorruptRecordError, LeaseLostError, OutputRecord
from plait.engine.stores._sqlite import INLINE_RECORDS, SQLiteStore

from .test_conformance import run

pytestmark = pytest.mark.anyio


def _writers(store: SQLiteStore) -> list[int]:
    """The threads that insert outputs through the store's connection, as they do."""
    threads: list[int] = []
    connection = store._connection._connection
    assert connection is not None

    def trace(statement: str) -> None:
        if statement.lstrip().startswith("INSERT INTO plait_outputs"):
            threads.append(threading.get_ident())

    connection.set_trace_callback(trace)
    return threads


async def test_a_small_commit_runs_on_the_loop_and_a_large_batch_in_the_thread(
    tmp_path: Path,
) -> None:
    loop = threading.get_ident()
    async with SQLiteStore(tmp_path / "runs.db") as store:
        await store.put_run(run())
        writers = _writers(store)
        await store.put_outputs([OutputRecord.of("r1", "a", 1, b"1", 1.0)])
        assert writers == [loop]
        many = [OutputRecord.of("r1", f"n{i}", 1, b"2", 2.0) for i in range(INLINE_RECORDS + 1)]
        await store.put_outputs(many)
        assert len(writers) == 1 + len(many)
        assert loop not in writers[1:]
        big = OutputRecord.of("r1", "big", 1, b"x" * (65 * 1024), 3.0)
        await store.put_outputs([big])
        assert writers[-1] != loop
        loaded = await store.load("r1")
        assert loaded is not None
        assert len(loaded.outputs) == 2 + len(many)


async def test_inline_false_keeps_every_write_in_the_thread(tmp_path: Path) -> None:
    async with SQLiteStore(tmp_path / "runs.db", inline=False) as store:
        await store.put_run(run())
        writers = _writers(store)
        await store.put_outputs([OutputRecord.of("r1", "a", 1, b"1", 1.0)])
        assert len(writers) == 1
        assert writers[0] != threading.get_ident()


async def test_a_locked_file_sends_the_commit_to_the_thread_and_the_loop_runs_on(
    tmp_path: Path,
) -> None:
    path = tmp_path / "runs.db"
    async with SQLiteStore(path) as store:
        await store.put_run(run())
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process's writer holds the file
        ticks: list[float] = []
        done: list[float] = []

        async def commit() -> None:
            await store.put_outputs([OutputRecord.of("r1", "a", 1, b"1", 1.0)])
            done.append(time.monotonic())

        async with anyio.create_task_group() as group:
            group.start_soon(commit)
            for _ in range(20):  # the loop keeps running while the commit waits
                await anyio.sleep(0.01)
                ticks.append(time.monotonic())
            assert not done
            other.execute("COMMIT")
        other.close()
        assert done
        assert done[0] > ticks[-1]
        assert max(b - a for a, b in itertools.pairwise(ticks)) < 0.5
        loaded = await store.load("r1")
        assert loaded is not None
        assert loaded.outputs["a"].data == b"1"


async def test_an_inline_commit_is_still_fenced(tmp_path: Path) -> None:
    async with SQLiteStore(tmp_path / "runs.db") as store:
        await store.put_run(run())
        stale = await store.acquire("r1", "alice", ttl=1.0, now=1000.0)
        await store.acquire("r1", "bob", ttl=30.0, now=1002.0)  # alice's lease expired
        writers = _writers(store)
        batch = [OutputRecord.of("r1", f"n{i}", 1, b"1", 1.0) for i in range(3)]
        with pytest.raises(LeaseLostError, match="bob"):
            await store.put_outputs(batch, lease=stale)
        assert set(writers) == {threading.get_ident()}  # tried on the loop, refused there
        loaded = await store.load("r1")
        assert loaded is not None
        assert loaded.outputs == {}


def _checkpointers(store: SQLiteStore) -> list[int]:
    """The threads that run the store's WAL checkpoints."""
    threads: list[int] = []
    connection = store._connection._connection
    assert connection is not None

    def trace(statement: str) -> None:
        if "wal_checkpoint" in statement:
            threads.append(threading.get_ident())

    connection.set_trace_callback(trace)
    return threads


def _wal(path: Path) -> int:
    wal = Path(f"{path}-wal")
    return wal.stat().st_size if wal.exists() else 0


async def test_no_inline_commit_checkpoints_the_wal(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    async with SQLiteStore(path, synchronous="NORMAL", checkpoint_pages=10**6) as store:
        await store.put_run(run())
        before = path.read_bytes()
        for i in range(1200):  # more pages than SQLite's own auto-checkpoint lets by (1000)
            await store.put_outputs([OutputRecord.of("r1", f"n{i}", 1, b"1", 1.0)])
        assert _wal(path) > 1000 * 4096  # all of it still in the WAL ...
        assert path.read_bytes() == before  # ... none of it copied back by a commit
        reader = sqlite3.connect(path)  # and readers see every commit
        assert reader.execute("SELECT count(*) FROM plait_outputs").fetchone() == (1200,)
        reader.close()
    assert _wal(path) == 0  # closing copies it back
    async with SQLiteStore(path) as store:
        loaded = await store.load("r1")
        assert loaded is not None
        assert len(loaded.outputs) == 1200


async def test_the_wal_stays_bounded_over_a_long_chain_checkpointed_in_the_thread(
    tmp_path: Path,
) -> None:
    path = tmp_path / "runs.db"
    pages = 50
    async with SQLiteStore(path, synchronous="NORMAL", checkpoint_pages=pages) as store:
        await store.put_run(run())
        checkpointers = _checkpointers(store)
        sizes = []
        for i in range(3000):
            await store.put_outputs([OutputRecord.of("r1", f"n{i}", 1, b"%d" % i, 1.0)])
            sizes.append(_wal(path))
        # a commit adds a few frames; the WAL restarts after each checkpoint
        assert max(sizes) <= 32 + (pages + 10) * (4096 + 24)
        assert len(checkpointers) >= 3000 // pages // 2
        assert threading.get_ident() not in checkpointers
        assert all(busy == 0 and frames == copied for busy, frames, copied in
                   store._connection.wal.results)  # fmt: skip
        loaded = await store.load("r1")
        assert loaded is not None
        assert loaded.outputs["n2999"].data == b"2999"


async def test_a_reader_holding_old_frames_delays_the_checkpoint_not_the_commits(
    tmp_path: Path,
) -> None:
    path = tmp_path / "runs.db"
    pages = 20
    async with SQLiteStore(path, synchronous="NORMAL", checkpoint_pages=pages) as store:
        await store.put_run(run())
        reader = sqlite3.connect(path, isolation_level=None)
        reader.execute("BEGIN")
        assert reader.execute("SELECT count(*) FROM plait_outputs").fetchone() == (0,)
        checkpointers = _checkpointers(store)
        for i in range(400):
            await store.put_outputs([OutputRecord.of("r1", f"n{i}", 1, b"1", 1.0)])
        # each attempt copies what it can, and the next waits for `pages` more pages
        assert 0 < len(checkpointers) <= 400 // pages + 1
        assert any(copied < frames for _, frames, copied in store._connection.wal.results)
        assert reader.execute("SELECT count(*) FROM plait_outputs").fetchone() == (0,)
        reader.execute("COMMIT")
        reader.close()
        for i in range(400, 400 + 4 * pages):
            await store.put_outputs([OutputRecord.of("r1", f"n{i}", 1, b"1", 1.0)])
        frames = store._connection.wal.results[-1][1]
        # the WAL restarted: it holds the frames of the last few commits only
        assert store._connection.wal.frames() <= pages + 10
        assert store._connection.wal.results[-1][1:] == (frames, frames)
        loaded = await store.load("r1")
        assert loaded is not None
        assert len(loaded.outputs) == 400 + 4 * pages


async def test_a_remembered_digest_never_vouches_for_another_checksum(tmp_path: Path) -> None:
    data = b"the same bytes object"
    made = OutputRecord.of("r1", "a", 1, data, 1.0)  # its digest is remembered by `data`
    forged = OutputRecord("r1", "b", 1, data, made.checksum[::-1], 1.0)
    async with SQLiteStore(tmp_path / "runs.db") as store:
        await store.put_run(run())
        with pytest.raises(CorruptRecordError) as raised:
            await store.put_outputs([made, forged])
        assert raised.value.node == "b"
        await store.put_outputs([made])
        loaded = await store.load("r1")
        assert loaded is not None
        assert loaded.outputs["a"].checksum == made.checksum
