"""A tool call waiting for a person, from the command line: exit 3 with a hint that pastes,
then `plait resume --input` with approve, deny or edit (examples/refund.py, offline)."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import anyio
import pytest

from plait.cli import main
from plait.engine import SQLiteStore

ROOT = Path(__file__).resolve().parents[2]
RUN = ["run", "examples.refund:graph", "--input", '{"order": "A-1042", "amount": 30}']
DECISION = '<"approve" | "deny" | "edit">'


@pytest.fixture(autouse=True)
def _in_a_fresh_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.syspath_prepend(str(ROOT))


def _waiting_run(capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    """Run the example until it waits: its run id and the `plait resume` hint."""
    assert main([*RUN, "--json"]) == 3
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert document["status"] == "waiting"
    [question] = document["questions"]
    assert question["node"] == "desk/call-1"
    hints = [line for line in captured.err.splitlines() if line.startswith("plait: answer with: ")]
    assert len(hints) == 1, captured.err
    return document["run_id"], hints[0].removeprefix("plait: answer with: ")


def _journal(run_id: str) -> list[tuple[str, int, str, str]]:
    async def load() -> list[tuple[str, int, str, str]]:
        async with SQLiteStore(".plait/runs.db") as store:
            stored = await store.load(run_id)
            assert stored is not None
            return [(c.node, c.index, c.kind, c.response.decode()) for c in stored.journal]

    return anyio.run(load)


def test_a_waiting_tool_call_exits_3_with_a_hint_showing_the_answers_shape(
    capsys: pytest.CaptureFixture[str],
) -> None:
    run_id, hint = _waiting_run(capsys)

    assert hint == (
        f"plait resume {run_id} --graph examples.refund:graph --input "
        f'\'{{"desk/call-1": {{"decision": {DECISION}, '
        '"arguments": {"order": "A-1042", "amount": 30}, "reason": ""}}\''
    )
    assert [(node, kind) for node, _, kind, _ in _journal(run_id)] == [("desk", "llm")]


def test_the_hint_pastes_and_approve_runs_the_tool_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    run_id, hint = _waiting_run(capsys)

    argv = shlex.split(hint.replace(DECISION, '"approve"'))
    assert argv[:3] == ["plait", "resume", run_id]
    assert main(argv[1:]) == 0
    assert capsys.readouterr().out == "Done: refunded 30 EUR on order A-1042.\n"
    journal = _journal(run_id)
    tools = [response for node, _, kind, response in journal if kind == "tool"]
    assert len(tools) == 1  # the tool ran once
    assert "refunded 30 EUR" in tools[0]
    assert [(n, i, k) for n, i, k, _ in journal] == [
        ("desk", 0, "llm"),  # asked once, replayed on resume
        ("desk", 1, "tool"),
        ("desk", 2, "llm"),
        ("desk/call-1", 0, "approval"),
    ]


def test_deny_sends_the_reason_to_the_model_as_the_tools_result(
    capsys: pytest.CaptureFixture[str],
) -> None:
    run_id, _ = _waiting_run(capsys)
    answer = {"desk/call-1": {"decision": "deny", "reason": "refunds over 20 EUR need a manager"}}

    argv = ["resume", run_id, "--graph", "examples.refund:graph", "--input", json.dumps(answer)]
    assert main(argv) == 0

    assert capsys.readouterr().out == (
        "Could not refund: A person denied this call of tool `refund`: refunds over 20 EUR "
        "need a manager. It did not run.\n"
    )


def test_edit_runs_the_tool_with_the_edited_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    run_id, _ = _waiting_run(capsys)
    edit = {"decision": "edit", "arguments": {"order": "A-1042", "amount": 20}}

    argv = ["resume", run_id, "--graph", "examples.refund:graph"]
    assert main([*argv, "--input", json.dumps({"desk/call-1": edit})]) == 0

    assert capsys.readouterr().out == "Done: refunded 20 EUR on order A-1042.\n"


def test_an_invalid_edit_is_one_error_line_and_the_run_still_waits(
    capsys: pytest.CaptureFixture[str],
) -> None:
    run_id, _ = _waiting_run(capsys)
    edit = {"decision": "edit", "arguments": {"order": "A-1042", "amount": "lots"}}
    argv = ["resume", run_id, "--graph", "examples.refund:graph"]

    assert main([*argv, "--input", json.dumps({"desk/call-1": edit})]) == 2

    err = capsys.readouterr().err
    assert err.splitlines() == [
        "plait: error: the answer for `desk/call-1`: the edited arguments do not fit tool "
        "`refund`: `amount`: Input should be a valid integer, unable to parse string as an "
        "integer (fix them and answer again; the run still waits)"
    ]
    assert main(argv) == 3  # no answer: it waits again, asking the same question
    assert "plait: answer with: " in capsys.readouterr().err
    assert [k for _, _, k, _ in _journal(run_id)] == ["llm"]
