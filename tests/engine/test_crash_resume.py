"""SIGKILL a real process mid-run, several times; resuming never reruns a committed node."""

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

from . import crash_graph

SCRIPT = Path(crash_graph.__file__)


def _lines(log: Path) -> list[str]:
    return log.read_text().split() if log.exists() else []


def _start(command: str, database: Path, log: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(SCRIPT), command, str(database), str(log), "crash-1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _committed(database: Path) -> set[str]:
    async def read() -> set[str]:
        store = open_store(f"sqlite:///{database}")
        await store.open()
        try:
            stored = await store.load("crash-1")
            return set() if stored is None else set(stored.outputs)
        finally:
            await store.close()

    return anyio.run(read)


def _kill_after(process: subprocess.Popen[str], log: Path, lines: int) -> None:
    deadline = time.monotonic() + 30
    while len(_lines(log)) < lines:
        assert process.poll() is None, process.communicate()[1]
        assert time.monotonic() < deadline, "the run made no progress"
        time.sleep(0.005)
    os.kill(process.pid, signal.SIGKILL)
    process.communicate()  # reap it and close its pipes


@pytest.mark.slow
def test_killed_runs_resume_without_rerunning_committed_nodes(tmp_path: Path) -> None:
    database, log = tmp_path / "runs.db", tmp_path / "effects.log"
    crash_graph.LOG[:] = [tmp_path / "uninterrupted.log"]
    expected = crash_graph.build().run_sync({"seed": 3})

    process = _start("run", database, log)
    segments = 0
    for threshold in (15, 45, 80):
        _kill_after(process, log, threshold)
        segments += 1
        committed = _committed(database)
        seen = len(_lines(log))
        assert committed, "a killed run had committed nothing"
        time.sleep(0.6)  # the dead process's lease expires
        process = _start("resume", database, log)
        if threshold == 80:
            break
        _kill_after(process, log, max(threshold + 10, seen + 1))
        after = _lines(log)[seen:]
        assert not committed & set(after), f"committed nodes ran again: {committed & set(after)}"
        time.sleep(0.6)
        process = _start("resume", database, log)
    output, errors = process.communicate(timeout=60)
    assert process.returncode == 0, errors
    assert int(output.strip()) == expected.output
    executions = _lines(log)
    assert set(executions) == {*crash_graph.build().nodes}
    # only nodes in flight at a kill (never committed) may have run twice
    assert len(executions) - 100 <= 3 * 10 * segments
