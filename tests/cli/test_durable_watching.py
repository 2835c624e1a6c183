"""`plait resume` and `plait fork` are watched as `plait run` is: the same --progress,
--log-format and --otel options, from one definition."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from plait.cli import main
from plait.cli._main import _parser
from tests.engine.telemetry.otlp_receiver import otlp_receiver

ROOT = Path(__file__).resolve().parents[2]
APPROVAL = ["--graph", "examples.approval:graph"]
YES = '{"approve": {"approved": true}}'
WATCHING = {"--progress", "--no-progress", "--log-format", "--otel"}


@pytest.fixture(autouse=True)
def _in_a_fresh_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(ROOT))
    for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_SDK_DISABLED"):
        monkeypatch.delenv(name, raising=False)


def waiting_run(capsys: pytest.CaptureFixture[str]) -> str:
    code = main(["run", "examples.approval:graph", "--input", '{"amount": 30}', "--json"])
    assert code == 3
    run_id = json.loads(capsys.readouterr().out)["run_id"]
    assert isinstance(run_id, str)
    return run_id


def records(err: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in err.splitlines() if line.startswith("{")]


def test_run_resume_and_fork_share_the_watching_options() -> None:
    group = _parser()._subparsers
    assert group is not None
    commands = group._group_actions[0].choices
    assert isinstance(commands, dict)
    for name in ("run", "resume", "fork"):
        options = {item for action in commands[name]._actions for item in action.option_strings}
        assert options >= WATCHING, name


def test_resume_logs_json_and_sends_spans(capsys: pytest.CaptureFixture[str]) -> None:
    run_id = waiting_run(capsys)

    with otlp_receiver() as received:
        arguments = ["resume", run_id, *APPROVAL, "--input", YES, "--log-format", "json"]
        code = main([*arguments, "--otel", received.url])

    captured = capsys.readouterr()
    assert code == 0
    assert captured.out.strip() == "sent: refund of 30 EUR for order 1042"
    found = records(captured.err)
    assert found[0]["event"] == "run.started"
    assert found[-1]["event"] == "run.finished"
    assert found[-1]["status"] == "succeeded"
    assert {record["run_id"] for record in found} == {run_id}
    assert ("node.finished", "send") in {(r["event"], r.get("node")) for r in found}
    assert "run approval" in received.span_names()
    assert "node send" in received.span_names()


def test_fork_logs_json(capsys: pytest.CaptureFixture[str]) -> None:
    run_id = waiting_run(capsys)
    assert main(["resume", run_id, *APPROVAL, "--input", YES]) == 0
    capsys.readouterr()

    replace = 'approve={"approved": false, "note": "no"}'
    code = main(["fork", run_id, *APPROVAL, "--set", replace, "--log-format", "json"])

    captured = capsys.readouterr()
    assert code == 0
    found = records(captured.err)
    assert [found[0]["event"], found[-1]["event"]] == ["run.started", "run.finished"]
    assert found[0]["run_id"] != run_id  # a fork is a new run


@pytest.mark.parametrize("command", ["resume", "fork"])
def test_progress_with_json_logs_is_one_line_error(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run_id = waiting_run(capsys)

    code = main([command, run_id, *APPROVAL, "--progress", "--log-format", "json"])

    captured = capsys.readouterr()
    assert (code, captured.out) == (2, "")
    assert captured.err.splitlines() == [
        "plait: error: --progress and --log-format json both write to stderr: drop --progress "
        "to get JSON lines, or drop --log-format json to see the live table"
    ]
