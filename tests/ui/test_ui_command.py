"""``plait ui`` from the shell: refused addresses in one line, and a server that stops."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from plait.cli import main
from tests.ui.conftest import run_into
from tests.ui.ui_graphs import hostile

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--host", "0.0.0.0"], "--host 0.0.0.0 is not a loopback address"),
        (["--host", "0.0.0.0", "--allow-remote"], "needs an access token of at least 16"),
        (["--host", "0.0.0.0", "--allow-remote", "--token", "short"], "at least 16"),
        (["--port", "70000"], "expected a port from 0 to 65535"),
        (["--store", "nosuch://x"], "nosuch"),
    ],
)
def test_a_refused_plait_ui_is_one_line(
    args: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ui", *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("plait: error: ")
    assert expected in err


def test_plait_ui_serves_the_runs_and_stops_on_sigint(tmp_path: Path, store_url: str) -> None:
    run_id = run_into(store_url, hostile, {"text": "served"})
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "plait", "ui", "--store", store_url, "--port", "0"]
    with subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as server:
        try:
            assert server.stdout is not None
            line = server.stdout.readline()
            assert line.startswith(f"plait ui: serving {store_url} at http://127.0.0.1:"), line
            url = line.split(" at ", 1)[1].split(" ", 1)[0]
            with urllib.request.urlopen(url + "runs", timeout=10) as response:
                page = response.read().decode()
            assert run_id in page
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=10)
            finally:
                if server.poll() is None:
                    server.kill()
                    server.wait()
    assert server.returncode in (0, 130, -signal.SIGINT)
    assert server.poll() is not None
