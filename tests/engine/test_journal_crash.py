"""SIGKILL an agent mid-loop, then resume: every side effect once, no answered call re-sent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import anyio
import pytest

from plait.engine import open_store

from . import journal_crash_graph

SCRIPT = Path(journal_crash_graph.__file__)
ROOT = SCRIPT.parents[2]


def _lines(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def _journaled(database: Path) -> int:
    async def read() -> int:
        store = open_store(f"sqlite:///{database}")
        await store.open()
        try:
            stored = await store.load("pay-1")
            return 0 if stored is None else len(stored.journal)
        finally:
            await store.close()

    return anyio.run(read) if database.exists() else 0


def _start(command: str, database: Path, log: Path, backend: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(SCRIPT), command, str(database), str(log), backend],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def _kill_when(process: subprocess.Popen[str], ready: object) -> None:
    deadline = time.monotonic() + 30
    while not ready():  # type: ignore[operator]
        assert process.poll() is None, process.communicate()[1]
        assert time.monotonic() < deadline, "the run never got there"
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.communicate()


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["asyncio", "trio"])
@pytest.mark.parametrize("point", ["llm-journaled", "tool-ran", "before-final-call"])
def test_a_killed_agent_resumes_paying_nothing_twice(
    tmp_path: Path, point: str, backend: str
) -> None:
    database, log = tmp_path / "runs.db", tmp_path / "effects.log"
    process = _start("run", database, log, backend)
    if point == "llm-journaled":
        _kill_when(process, lambda: _journaled(database) >= 1)
    elif point == "tool-ran":
        _kill_when(process, lambda: any(line.startswith("charge ") for line in _lines(log)))
    else:
        _kill_when(process, lambda: _journaled(database) >= 2)
    time.sleep(0.6)  # the dead process's lease expires

    resumed = _start("resume", database, log, backend)
    out, err = resumed.communicate(timeout=60)

    assert resumed.returncode == 0, err
    assert out.strip() == "Charged 30."
    seen = Counter(_lines(log))
    assert [line for line in seen if line.startswith("charge ")] != []
    assert sum(n for line, n in seen.items() if line.startswith("charge ")) == 1
    assert seen["llm:1"] == 1  # the first call was answered and journaled: never re-sent
    if point == "before-final-call":
        assert seen["tool"] == 1
        assert seen["llm:3"] in (1, 2)  # sent before the kill, unanswered: asked again
    else:
        assert seen["llm:3"] == 1
        # killed while the tool ran (not yet journaled): invoked again, but its own
        # idempotency key de-duplicates the charge
        assert seen["tool"] == 2 if point == "tool-ran" else seen["tool"] in (1, 2)
    assert _journaled(database) == 3
