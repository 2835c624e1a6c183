"""SIGKILL a run after a node stored vectors but before it committed, then resume: the
node's repeated ``add`` is a no-op, shared memory holds what committed nodes wrote."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from . import memory_crash_graph

pytest.importorskip("numpy")

SCRIPT = Path(memory_crash_graph.__file__)
ROOT = SCRIPT.parents[3]


def _lines(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def _start(command: str, database: Path, log: Path, backend: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(SCRIPT), command, str(database), str(log), backend],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_a_node_killed_after_adding_vectors_resumes_without_storing_twice(
    tmp_path: Path, backend: str
) -> None:
    database, log = tmp_path / "runs.db", tmp_path / "effects.log"
    process = _start("run", database, log, backend)
    deadline = time.monotonic() + 30
    while "added" not in _lines(log):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the run never stored its vectors"
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.communicate()
    time.sleep(0.6)  # the dead process's lease expires

    resumed = _start("resume", database, log, backend)
    out, err = resumed.communicate(timeout=60)

    assert resumed.returncode == 0, err
    assert out.strip() == "2 cat ['met Ada']"  # two facts, stored once; the note, once
    assert Counter(_lines(log)) == Counter(note=1, learn=2, added=2)
