"""plait run with a store, resume, runs, fork, --trace, trace diff and --model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from plait.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _in_a_fresh_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(ROOT))


def _run_id(capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["runs"]) == 0
    rows = capsys.readouterr().out.splitlines()
    return rows[1].split()[0]


def test_a_waiting_run_exits_3_then_resumes_with_an_answer(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["run", "examples.approval:graph", "--input", '{"amount": 30}', "--json"])

    assert code == 3
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert document["status"] == "waiting"
    assert [q["node"] for q in document["questions"]] == ["approve"]
    assert "Approve the refund of 30 EUR for order 1042?" in captured.err
    run_id = document["run_id"]
    assert Path(".plait/runs.db").exists()  # the embedded default store

    assert main(["runs", "show", run_id]) == 0
    shown = capsys.readouterr().out
    assert "approve: waiting -- Approve the refund" in shown
    assert 'draft: done (attempt 1) -> "refund of 30 EUR for order 1042"' in shown

    missing_graph = main(["resume", run_id, "--input", '{"approve": {"approved": true}}'])
    assert missing_graph == 2
    assert "--graph module:attribute" in capsys.readouterr().err

    bad = ["resume", run_id, "--graph", "examples.approval:graph"]
    assert main([*bad, "--input", '{"approve": {"approved": "perhaps"}}']) == 2
    assert "the answer for `approve` does not fit `Verdict`" in capsys.readouterr().err

    answer = '{"approve": {"approved": true}}'
    assert main([*bad, "--input", answer]) == 0
    assert capsys.readouterr().out.strip() == "sent: refund of 30 EUR for order 1042"


def test_fork_replaces_an_output(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "plait.yaml").write_text("graphs: {approval: 'examples.approval:graph'}\n")
    assert main(["run", "examples.approval:graph", "--input", '{"amount": 5}']) == 3
    run_id = _run_id(capsys)
    assert main(["resume", run_id, "--input", '{"approve": {"approved": true}}']) == 0
    capsys.readouterr()

    code = main(["fork", run_id, "--set", 'approve={"approved": false, "note": "no"}'])

    assert code == 0
    assert capsys.readouterr().out.strip() == "dropped: refund of 5 EUR for order 1042 (no)"
    assert main(["fork", run_id, "--set", "approve"]) == 2
    assert "expected NODE=JSON" in capsys.readouterr().err


def test_trace_files_and_trace_diff(capsys: pytest.CaptureFixture[str]) -> None:
    for name, topic in (("a", "graphs"), ("b", "graphs"), ("c", "owls")):
        inputs = json.dumps({"topic": topic})
        args = ["run", "examples.digest:graph", "--input", inputs, "--no-store"]
        assert main([*args, "--trace", f"{name}.trace.json"]) == 0
    capsys.readouterr()

    assert main(["trace", "diff", "a.trace.json", "b.trace.json"]) == 0
    assert "equal" in capsys.readouterr().out
    assert main(["trace", "diff", "a.trace.json", "c.trace.json"]) == 1
    assert 'node `plan`: inputs changed: {"topic": "graphs"} -> {"topic": "owls"}' in (
        capsys.readouterr().out
    )
    assert main(["trace", "diff", "a.trace.json", "missing.json"]) == 2


def test_model_override(capsys: pytest.CaptureFixture[str]) -> None:
    ticket = json.dumps({"ticket": "I was charged twice for INV-1042"})
    assert main(["run", "examples.triage:graph", "--input", ticket, "--no-store"]) == 0
    assert "INV-1042" in capsys.readouterr().out

    assert main(["run", "examples.triage:graph", "--input", ticket, "--model", "sonet"]) == 2
    assert "did you mean `sonnet`?" in capsys.readouterr().err
    args = ["run", "examples.digest:graph", "--input", '{"topic": "x"}', "--model", "haiku"]
    assert main(args) == 2
    assert "has no agent nodes" in capsys.readouterr().err


def test_plait_yaml_imports_feed_the_spec_registry(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    spec = str(ROOT / "examples" / "digest.json")
    assert main(["validate", spec]) == 1
    capsys.readouterr()
    (tmp_path / "plait.yaml").write_text("imports: [examples.digest]\n")
    assert main(["validate", spec]) == 0
    assert "graph `digest` is valid" in capsys.readouterr().out
    assert main(["run", spec, "--input", '{"topic": "x"}', "--no-store"]) == 0


def test_trace_of_a_stored_run(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["run", "examples.digest:graph", "--input", '{"topic": "graphs"}', "--trace", "a.json"]
    assert main(args) == 0
    capsys.readouterr()
    run_id = _run_id(capsys)

    assert main(["trace", run_id, "--graph", "examples.digest:graph"]) == 0
    Path("stored.json").write_text(capsys.readouterr().out)
    assert main(["trace", "diff", "a.json", "stored.json"]) == 0
    assert main(["trace", "nope", "--graph", "examples.digest:graph"]) == 2
    assert "run nope is not in store" in capsys.readouterr().err
    assert main(["trace", "diff", "a.json"]) == 2
