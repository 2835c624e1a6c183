"""SIGKILL a real process in the middle of a map; the resume re-runs no committed item."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import anyio
import pytest

from plait.engine import open_store

from . import map_crash_graph

SCRIPT = Path(map_crash_graph.__file__)


def _items(log: Path) -> list[int]:
    return [int(line) for line in log.read_text().split()] if log.exists() else []


def _start(command: str, database: Path, log: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(SCRIPT), command, str(database), str(log)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _committed_items(database: Path) -> set[int]:
    async def read() -> set[int]:
        store = open_store(f"sqlite:///{database}")
        await store.open()
        try:
            stored = await store.load("map-1")
            names = set() if stored is None else set(stored.outputs)
            return {int(name[len("each[") :].split("]")[0]) for name in names if "/" in name}
        finally:
            await store.close()

    return anyio.run(read)


@pytest.mark.slow
def test_a_map_killed_mid_way_resumes_without_rerunning_a_finished_item(tmp_path: Path) -> None:
    database, log = tmp_path / "runs.db", tmp_path / "items.log"
    process = _start("run", database, log)
    deadline = time.monotonic() + 30
    while len(_items(log)) < 25:
        assert process.poll() is None, process.communicate()[1]
        assert time.monotonic() < deadline, "the map made no progress"
        time.sleep(0.005)
    os.kill(process.pid, signal.SIGKILL)
    process.communicate()

    committed = _committed_items(database)
    seen = len(_items(log))
    assert len(committed) >= 15, committed  # 4 at a time: at most 4 were in flight
    time.sleep(0.6)  # the dead process's lease expires
    resumed = _start("resume", database, log)
    output, errors = resumed.communicate(timeout=60)

    assert resumed.returncode == 0, errors
    assert int(output) == sum(item * item for item in range(map_crash_graph.ITEMS))
    rerun = set(_items(log)[seen:])
    assert not committed & rerun, f"finished items ran again: {sorted(committed & rerun)}"
    assert set(_items(log)) == set(range(map_crash_graph.ITEMS))
