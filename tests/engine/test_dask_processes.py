"""The Dask executor against a `dask scheduler` and `dask worker` started as processes,
and from the command line: a killed driver resumes, an unreachable scheduler stops first."""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import plait.cli

pytest.importorskip("distributed")

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
DASK = str(Path(sys.executable).with_name("dask"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _env(effects: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PLAIT_TEST_EFFECTS": str(effects),
        "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1",
    }


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM its process group (a worker's nanny and its children), then wait."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A scheduler and a worker (2 processes of 1 thread) on 127.0.0.1; their effects log."""
    effects = tmp_path / "effects.log"
    effects.write_text("")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    common = ["--no-dashboard"]
    scheduler = subprocess.Popen(
        [DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port), *common],
        env=_env(effects),
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = subprocess.Popen(
        [
            DASK,
            "worker",
            address,
            "--nworkers",
            "2",
            "--nthreads",
            "1",
            "--host",
            "127.0.0.1",
            *common,
        ],
        env=_env(effects),
        start_new_session=True,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_workers(address, 2)
        yield address, effects
    finally:
        _stop(worker)
        _stop(scheduler)


def _wait_for_workers(address: str, count: int) -> None:
    import distributed

    with distributed.Client(address, timeout=30) as client:  # type: ignore[no-untyped-call]
        client.wait_for_workers(count, timeout=60)


def _lines(effects: Path, name: str) -> int:
    return sum(1 for line in effects.read_text().splitlines() if line.split()[0] == name)


def test_a_killed_driver_resumes_with_plait_resume_without_rerunning_committed_nodes(
    cluster: tuple[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    address, effects = cluster
    database = tmp_path / "runs.db"
    driver = subprocess.Popen(
        [sys.executable, str(ROOT / "tests/engine/dask_driver.py"), str(database), address, "r1"],
        env=_env(effects),
        cwd=ROOT,
    )
    deadline = time.monotonic() + 60
    while _lines(effects, "once_slow") < 1:  # `first` committed, `middle` running
        assert driver.poll() is None
        assert time.monotonic() < deadline, "the driver made no progress"
        time.sleep(0.02)
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    time.sleep(0.6)  # the dead driver's lease runs out
    monkeypatch.chdir(ROOT)
    code = plait.cli.main(
        [
            "resume",
            "r1",
            "--graph",
            "tests.engine.dask_nodes:pipeline",
            "--store",
            f"sqlite:///{database}",
            "--executor",
            f"dask://{address[6:]}",
            "--json",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert '"output": 204' in out  # (1 * 2 + 100) * 2
    assert _lines(effects, "double") == 2  # `first` once (committed), `last` once
    assert _lines(effects, "once_slow") == 2  # the killed attempt, then the resumed one


def test_an_unreachable_scheduler_stops_plait_run_before_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    database = tmp_path / "runs.db"
    port = _free_port()
    code = plait.cli.main(
        [
            "run",
            "tests.engine.dask_nodes:pipeline",
            "--input",
            '{"x": 1}',
            "--store",
            f"sqlite:///{database}",
            "--executor",
            f"dask://127.0.0.1:{port}",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(
        f"plait: error: cannot reach the Dask scheduler at tcp://127.0.0.1:{port}"
    )
    assert "dask scheduler --host 127.0.0.1" in lines[0]
    assert not database.exists()  # refused before the store was opened


@pytest.mark.parametrize(
    ("value", "found"),
    [
        ("dask://", "expected dask://HOST:PORT"),
        ("ray://x:1", "expected dask://HOST:PORT"),
        ("dask://host:port", "the port a number"),
    ],
)
def test_a_wrong_executor_url_is_one_line(
    value: str, found: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    code = plait.cli.main(
        ["run", "tests.engine.dask_nodes:pipeline", "--no-store", "--executor", value]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert found in err


def test_an_interrupted_run_on_dask_says_to_resume_there_and_fork_runs_there_too(
    cluster: tuple[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    address, effects = cluster
    store = f"sqlite:///{tmp_path / 'runs.db'}"
    executor = f"dask://{address.removeprefix('tcp://')}"
    graph = "tests.engine.dask_nodes:pipeline"
    command = ["run", graph, "--input", '{"x": 1}', "--store", store, "--executor", executor]
    driver = subprocess.Popen(
        [sys.executable, "-m", "plait", *command],
        env=_env(effects),
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    with driver:
        deadline = time.monotonic() + 60
        while _lines(effects, "once_slow") < 1:  # `first` committed, `middle` running
            assert driver.poll() is None
            assert time.monotonic() < deadline, "the run made no progress"
            time.sleep(0.02)
        driver.send_signal(signal.SIGTERM)
        err = driver.communicate(timeout=30)[1]
    assert driver.returncode == 130, err
    last = err.strip().splitlines()[-1]
    run_id = last.split()[3]
    hint = f"plait resume {run_id} --graph {graph} --store {store} --executor {executor}"
    assert last == f"plait: error: run {run_id} was interrupted; resume with: {hint}"

    monkeypatch.chdir(ROOT)
    assert plait.cli.main([*shlex.split(hint)[1:], "--json"]) == 0  # the hint pastes as is
    assert '"output": 204' in capsys.readouterr().out
    assert _lines(effects, "double") == 2  # `first` once (committed), `last` once

    fork = ["fork", run_id, "--graph", graph, "--store", store, "--at", "last"]
    assert plait.cli.main([*fork, "--executor", executor, "--json"]) == 0
    assert '"output": 204' in capsys.readouterr().out
    doubled = [line.split()[1] for line in effects.read_text().splitlines() if "double" in line]
    assert len(doubled) == 3  # `last` once more, on a worker
    assert str(os.getpid()) not in doubled
