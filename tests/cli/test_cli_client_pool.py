"""plait run opens its agents' model catalog around the run: one SDK client, closed after."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import pytest

from plait.cli import main
from tests.fakes import anthropic_api as api
from tests.fakes.server import FakeServer, running_server

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeServer]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(ROOT))
    with running_server(keep_alive=True) as running:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-cli-pool")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", running.url)
        yield running


def test_a_run_shares_one_sdk_client_and_closes_it(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    built: list[Any] = []

    class Counted(anthropic.AsyncAnthropic):
        def __init__(self, **arguments: Any) -> None:
            super().__init__(**arguments)
            built.append(self)

    monkeypatch.setattr(anthropic, "AsyncAnthropic", Counted)
    server.script(*(api.stream(api.text("yes")) for _ in range(8)))  # the CLI listens: streamed
    messages = json.dumps({"messages": [f"q{index}" for index in range(8)]})

    code = main(["run", "tests.cli.cli_agents:graph", "--input", messages, "--no-store", "--json"])

    assert code == 0, capsys.readouterr().err
    assert json.loads(capsys.readouterr().out)["output"] == ["yes"] * 8
    assert len(server.requests) == 8
    assert len(built) == 1
    assert built[0].is_closed()
