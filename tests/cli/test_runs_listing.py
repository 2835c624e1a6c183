"""``plait runs`` and ``plait runs show``: --json, durations, graph order, filters, --limit,
and a corrupt record that does not hide the other runs."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from plait.cli import main
from plait.cli._runs import graph_order

ROOT = Path(__file__).resolve().parents[2]
APPROVAL = ["run", "examples.approval:graph", "--input", '{"amount": 30}', "--json"]
DIGEST = ["run", "examples.digest:graph", "--input", '{"topic": "owls"}', "--json"]


@pytest.fixture(autouse=True)
def _in_a_fresh_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(ROOT))


def _run(capsys: pytest.CaptureFixture[str], argv: list[str], code: int) -> str:
    assert main(argv) == code
    run_id: str = json.loads(capsys.readouterr().out)["run_id"]
    return run_id


def _listed(capsys: pytest.CaptureFixture[str], *options: str) -> list[dict[str, object]]:
    assert main(["runs", "--json", *options]) == 0
    rows: list[dict[str, object]] = json.loads(capsys.readouterr().out)
    return rows


@pytest.fixture
def two_runs(capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    """A waiting approval run, then a succeeded digest run."""
    return _run(capsys, APPROVAL, 3), _run(capsys, DIGEST, 0)


def test_runs_json_lists_status_duration_and_progress(
    capsys: pytest.CaptureFixture[str], two_runs: tuple[str, str]
) -> None:
    waiting, succeeded = two_runs

    rows = _listed(capsys)

    assert [(row["run_id"], row["graph"], row["status"]) for row in rows] == [
        (succeeded, "digest", "succeeded"),
        (waiting, "approval", "waiting"),
    ]
    assert [(row["nodes_done"], row["nodes_total"]) for row in rows] == [(5, 5), (1, 3)]
    for row in rows:
        duration = row["duration"]
        assert isinstance(duration, float)
        assert 0 <= duration < 60


def test_runs_table_has_a_duration_column(
    capsys: pytest.CaptureFixture[str], two_runs: tuple[str, str]
) -> None:
    assert main(["runs"]) == 0
    header, *rows = capsys.readouterr().out.splitlines()

    assert header.split() == [
        "RUN", "GRAPH", "STATUS", "STARTED", "DURATION", "NODES", "TOKENS", "COST"
    ]  # fmt: skip
    assert len(rows) == 2
    assert all(row.split()[-4] == "s" and float(row.split()[-5]) >= 0 for row in rows)


def test_runs_filter_by_status_and_graph(
    capsys: pytest.CaptureFixture[str], two_runs: tuple[str, str]
) -> None:
    waiting, succeeded = two_runs

    assert [row["run_id"] for row in _listed(capsys, "--status", "waiting")] == [waiting]
    assert [row["run_id"] for row in _listed(capsys, "--graph", "digest")] == [succeeded]
    assert _listed(capsys, "--graph", "digest", "--status", "waiting") == []
    assert main(["runs", "--status", "done"]) == 2
    assert capsys.readouterr().err == (
        "plait: error: --status 'done': expected one of running, waiting, succeeded, failed, "
        "cancelled, interrupted\n"
    )


def test_limit_zero_lists_every_run(capsys: pytest.CaptureFixture[str]) -> None:
    for _ in range(3):
        _run(capsys, DIGEST, 0)

    assert len(_listed(capsys, "--limit", "1")) == 1
    assert len(_listed(capsys, "--limit", "0")) == 3
    assert main(["runs", "--limit", "-1"]) == 2
    assert "expected 0 (every run) or more" in capsys.readouterr().err
    assert main(["runs", "--help"]) == 0
    assert "0: every run" in capsys.readouterr().out


def test_runs_show_lists_nodes_in_graph_order(
    capsys: pytest.CaptureFixture[str], two_runs: tuple[str, str]
) -> None:
    waiting, _ = two_runs

    assert main(["runs", "show", waiting]) == 0
    header, *lines = capsys.readouterr().out.splitlines()
    assert header.startswith(f"run {waiting}  graph approval  status waiting  started ")
    assert " took " in header
    nodes = [line.split(":")[0].strip() for line in lines if line.startswith("  ")]
    assert nodes == ["draft", "approve", "send"]  # not alphabetical: approve, draft, send

    assert main(["runs", "show", waiting, "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["status"] == "waiting"
    assert [(node["node"], node["status"]) for node in document["nodes"]] == [
        ("draft", "done"),
        ("approve", "waiting"),
        ("send", "not run"),
    ]
    assert document["nodes"][0]["output"] == "refund of 30 EUR for order 1042"
    assert document["nodes"][1]["question"] == "Approve the refund of 30 EUR for order 1042?"


def test_graph_order_follows_edges_and_routes() -> None:
    from examples.digest import graph as digest
    from examples.triage import graph as triage

    assert graph_order(triage.canonical()) == ["triage", "billing", "tech", "reply"]
    assert graph_order(digest.canonical()) == [
        "plan",
        "search_papers",
        "search_web",
        "rank",
        "write",
    ]


@pytest.mark.parametrize(
    ("corrupt", "problem", "listed"),
    [
        pytest.param(
            "UPDATE plait_outputs SET data = X'00' WHERE run_id = ?",
            "the stored output of node `draft` is corrupt",
            True,
            id="output-checksum",
        ),
        pytest.param(  # the listing itself reads run rows: nothing partial is shown
            "UPDATE plait_runs SET inputs = X'7b7d' WHERE run_id = ?",
            "the stored run row is corrupt",
            False,
            id="run-row",
        ),
    ],
)
def test_a_corrupt_record_is_one_line_naming_the_run(
    capsys: pytest.CaptureFixture[str],
    two_runs: tuple[str, str],
    corrupt: str,
    problem: str,
    listed: bool,
) -> None:
    broken, fine = two_runs
    with sqlite3.connect(".plait/runs.db") as connection:
        connection.execute(corrupt, (broken,))
    connection.close()

    assert main(["runs"]) == 1
    captured = capsys.readouterr()

    lines = captured.err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("plait: error: ")
    assert f"run {broken}: {problem}" in lines[0]
    assert [row.split()[0] for row in captured.out.splitlines()[1:]] == ([fine] if listed else [])
