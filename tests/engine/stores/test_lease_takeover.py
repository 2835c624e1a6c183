"""Real processes holding, losing and abandoning a run's lease, on SQLite, PostgreSQL and
Redis.

- fencing: an owner whose event loop blocks past its lease is taken over by another
  process, which finishes the run; when the first wakes, not one of its writes lands
  (a trigger on the outputs table counts every commit; on Redis, `MONITOR` lists every
  `HSET` of an output the store's scripts run);
- kill -9: a run whose process was killed is taken over at once on the same host, and
  ``plait runs`` lists it ``interrupted`` meanwhile;
- ``--force``: ``plait resume`` takes a run from a live owner only when asked, after
  saying who holds it; the owner stops at its next heartbeat.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from plait.cli import main
from plait.engine import RunOptions, StoredStatus, open_store, resume
from tests.engine import lease_graph

from .harness import PostgresHarness, RedisHarness

MODULE = lease_graph.__name__
"""Run with ``-m``, so its nodes have the names they have here (the same graph hash)."""
ROOT = Path(__file__).resolve().parents[3]
NODES = ("first", "stall", "after", "last")

_SQLITE_LOG = (
    "CREATE TABLE commit_log (run_id TEXT, node TEXT)",
    "CREATE TRIGGER log_insert AFTER INSERT ON plait_outputs BEGIN "
    "INSERT INTO commit_log VALUES (NEW.run_id, NEW.node); END",
    "CREATE TRIGGER log_update AFTER UPDATE ON plait_outputs BEGIN "
    "INSERT INTO commit_log VALUES (NEW.run_id, NEW.node); END",
)
_POSTGRES_LOG = (
    "CREATE TABLE commit_log (run_id TEXT, node TEXT)",
    "CREATE FUNCTION log_commit() RETURNS trigger AS $$ BEGIN "
    "INSERT INTO commit_log VALUES (NEW.run_id, NEW.node); RETURN NEW; END $$ LANGUAGE plpgsql",
    "CREATE TRIGGER log_commit AFTER INSERT OR UPDATE ON plait_outputs "
    "FOR EACH ROW EXECUTE FUNCTION log_commit()",
)


_MONITORS: dict[str, tuple[Path, str]] = {}
"""Each Redis store URL's ``MONITOR`` log and key prefix, which ``_commits`` reads."""


@pytest.fixture(params=["sqlite", "postgres", "redis"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh store's URL, its schema created, with a ``commit_log`` of every output write."""
    if request.param == "redis":
        yield from _redis_url(request.getfixturevalue("redis_url"), tmp_path)
        return
    if request.param == "sqlite":
        found = f"sqlite:///{tmp_path / 'runs.db'}"
        anyio.run(_create, found)
        import sqlite3

        with sqlite3.connect(tmp_path / "runs.db") as connection:
            for statement in _SQLITE_LOG:
                connection.execute(statement)
        connection.close()
        yield found
        return
    harness = PostgresHarness(request.getfixturevalue("postgres_url"), _schema())
    harness.create()
    try:
        anyio.run(_create, harness.url)
        for statement in _POSTGRES_LOG:
            harness._execute(statement)
        yield harness.url
    finally:
        harness.drop()


def _redis_url(server: str, tmp_path: Path) -> Iterator[str]:
    harness = RedisHarness(server, _schema())
    found = f"{server}?prefix={harness.prefix}"
    log = tmp_path / "monitor.log"
    with log.open("wb") as sink:
        monitor = subprocess.Popen(["redis-cli", "-u", server, "monitor"], stdout=sink)
    _MONITORS[found] = (log, harness.prefix)
    try:
        while b"OK" not in log.read_bytes():  # MONITOR answers OK once it listens
            assert monitor.poll() is None, "redis-cli monitor stopped"
            time.sleep(0.01)
        anyio.run(_create, found)
        yield found
    finally:
        monitor.terminate()
        monitor.wait()
        del _MONITORS[found]
        harness.drop()


def _schema() -> str:
    return f"plait_test_{uuid.uuid4().hex[:12]}"


async def _create(url: str) -> None:
    store = open_store(url)
    await store.open()
    await store.close()


def _commits(url: str) -> Counter[str]:
    """How many times each node's output was written (inserted or replaced)."""
    if url in _MONITORS:
        log, prefix = _MONITORS[url]
        hset = re.compile(rf'\[\d+ lua\] "HSET" "{re.escape(prefix)}:outputs:[^"]*" "([^"]*)"')
        return Counter(match.group(1) for match in hset.finditer(log.read_text(errors="replace")))
    if url.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
            rows = connection.execute("SELECT node FROM commit_log").fetchall()
        connection.close()
    else:
        import psycopg

        with psycopg.connect(url) as postgres:
            rows = postgres.execute("SELECT node FROM commit_log").fetchall()
    return Counter(row[0] for row in rows)


def _start(url: str, marks: Path, run_id: str, lease: float, mode: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", MODULE, "run", url, str(marks), run_id, str(lease), mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def _wait_for_stall(process: subprocess.Popen[str], marks: Path) -> None:
    deadline = time.monotonic() + 30
    while not (marks / "stalled").exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the run never reached `stall`"
        time.sleep(0.01)


def _resume_here(url: str, run_id: str, marks: Path, lease: float = 30.0) -> int:
    lease_graph.MARKS = marks

    async def go() -> int:
        store = open_store(url)
        await store.open()
        try:
            options = RunOptions(lease=lease)
            result = await resume(lease_graph.GRAPH, run_id, store=store, options=options)
        finally:
            await store.close()
        assert isinstance(result.output, int)
        return result.output

    return anyio.run(go)


def _status(url: str, run_id: str) -> StoredStatus:
    async def read() -> StoredStatus:
        store = open_store(url)
        await store.open()
        try:
            stored = await store.load(run_id)
        finally:
            await store.close()
        assert stored is not None
        return stored.run.status

    return anyio.run(read)


def _runs_json(url: str, capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    capsys.readouterr()
    assert main(["runs", "--store", url, "--json"]) == 0
    return {row["run_id"]: row["status"] for row in json.loads(capsys.readouterr().out)}


@pytest.mark.slow
def test_an_owner_stalled_past_its_lease_commits_nothing_after_the_takeover(
    url: str, tmp_path: Path
) -> None:
    process = _start(url, tmp_path, "fenced", lease=0.5, mode="block")
    try:
        _wait_for_stall(process, tmp_path)
        time.sleep(0.8)  # its lease lapses: its loop is blocked, no heartbeat runs
        assert _resume_here(url, "fenced", tmp_path, lease=0.5) == (1 + 1) * 10 + 2 - 1
        output, errors = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 3, (output, errors)
    assert "lost the run's lease (taken over by" in output
    commits = _commits(url)
    duplicates = {node: count for node, count in commits.items() if count > 1}
    print(f"\nfencing ({url.split(':')[0]}): {sum(commits.values())} commits, "
          f"{len(duplicates)} duplicates")  # fmt: skip
    assert duplicates == {}
    assert set(commits) == set(NODES)
    assert _status(url, "fenced") is StoredStatus.SUCCEEDED  # not marked failed by the stale one
    executions = Counter((tmp_path / "executions").read_text().split())
    assert executions["stall"] == 2  # ran in both, committed once
    assert executions["after"] == executions["last"] == 1


@pytest.mark.slow
def test_a_killed_owner_is_taken_over_at_once_and_listed_interrupted(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    process = _start(url, tmp_path, "killed", lease=30.0, mode="hang")
    try:
        _wait_for_stall(process, tmp_path)
        assert _runs_json(url, capsys)["killed"] == "running"
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.communicate()  # reaped: its pid is gone
    killed = time.monotonic()
    assert _runs_json(url, capsys)["killed"] == "interrupted"
    assert _resume_here(url, "killed", tmp_path) == 21
    took = time.monotonic() - killed
    with capsys.disabled():
        print(f"\ntakeover after kill -9 ({url.split(':')[0]}): {took:.3f} s (target < 1 s)")
    assert took < 1.0
    assert _runs_json(url, capsys)["killed"] == "succeeded"


@pytest.mark.slow
def test_resume_force_takes_a_live_owners_run_after_saying_who_holds_it(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    process = _start(url, tmp_path, "held", lease=1.5, mode="hang")
    graph = ["--store", url, "--graph", "tests.engine.lease_graph:GRAPH"]
    lease_graph.MARKS = tmp_path
    try:
        _wait_for_stall(process, tmp_path)
        capsys.readouterr()
        assert main(["resume", "held", *graph]) == 1
        refused = capsys.readouterr().err.strip().splitlines()
        assert len(refused) == 1, refused
        assert f"run held is held by pid {process.pid} on host" in refused[0]
        assert "expires in" in refused[0]
        assert "--force" in refused[0]

        assert main(["resume", "held", *graph, "--force", "--json"]) == 0
        said = capsys.readouterr()
        taking = [line for line in said.err.splitlines() if "taking it over" in line]
        assert len(taking) == 1
        assert f"pid {process.pid}" in taking[0]
        assert json.loads(said.out)["status"] == "succeeded"
        output, _ = process.communicate(timeout=10)  # its next heartbeat finds it lost
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 3
    assert "lost the run's lease" in output
    assert _commits(url) == Counter(NODES)
