"""``plait render SPEC.json`` with no registry draws the spec's structure; ``RUN_ID`` a run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

import plait.cli
from examples.digest import graph as digest
from plait.graphs import Outline, SpecError, outline
from plait.visual import to_dot, to_mermaid

from .conftest import DotCheck

ROOT = Path(__file__).resolve().parents[2]
DIGEST_SPEC = ROOT / "examples" / "digest.json"
DIGEST_NODES = ("plan", "search_web", "search_papers", "rank", "write")

# Every kind and every way to nest, naming functions that no module registers.
NESTED_SPEC = {
    "plait": "1",
    "name": "review",
    "inputs": {"documents": "list[Document]", "ticket": "str"},
    "output": "merge",
    "nodes": [
        {
            "id": "classify",
            "kind": "function",
            "function": "no.such.module.classify",
            "inputs": {"text": "inputs.ticket"},
            "routes": {"urgent": "escalate", "normal": ["summarise"]},
        },
        {"id": "escalate", "kind": "agent", "agent": "pager", "inputs": {"text": "inputs.ticket"}},
        {
            "id": "summarise",
            "kind": "map",
            "body": "one",
            "over": "document",
            "max_items": 10,
            "inputs": {"document": "inputs.documents"},
        },
        {
            "id": "polish",
            "kind": "loop",
            "body": "edit",
            "carry": "draft",
            "max_iterations": 3,
            "inputs": {"draft": "summarise"},
        },
        {
            "id": "approve",
            "kind": "human",
            "question": "Ship {draft}?",
            "answer": "bool",
            "inputs": {"draft": "polish.value"},
        },
        {
            "id": "merge",
            "kind": "join",
            "policy": "first",
            "inputs": {"urgent": "escalate", "approved": "approve"},
        },
    ],
    "graphs": {
        "one": {
            "inputs": {"document": "Document"},
            "output": "read",
            "nodes": [
                {
                    "id": "read",
                    "kind": "function",
                    "function": "read",
                    "inputs": {"document": "inputs.document"},
                    "retry": {"max_attempts": 3},
                }
            ],
        },
        "edit": {
            "inputs": {"draft": "str"},
            "output": "inner",
            "nodes": [{"id": "inner", "kind": "subgraph", "graph": "pen", "inputs": {}}],
        },
        "pen": {
            "inputs": {"draft": "str"},
            "output": "write",
            "nodes": [
                {
                    "id": "write",
                    "kind": "function",
                    "function": "write",
                    "inputs": {"text": "inputs.draft"},
                }
            ],
        },
    },
}


@pytest.fixture(autouse=True)
def _in_a_fresh_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(ROOT))


def render(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = plait.cli.main(["render", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_spec_renders_without_any_import(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    dot_snapshot: SnapshotAssertion,
    assert_dot_parses: DotCheck,
) -> None:
    out = tmp_path / "d.dot"
    code, stdout, stderr = render(capsys, str(DIGEST_SPEC), "-o", str(out))
    assert (code, stdout, stderr) == (0, f"wrote {out}\n", "")
    text = out.read_text(encoding="utf-8")
    for node in DIGEST_NODES:
        assert f"\t{node} [label=<<b>{node}</b>" in text
    assert "plan -> search_web [label=queries]" in text
    assert "Queries" not in text  # no Python types: only those the spec writes (`str`)
    assert text == to_dot(outline(DIGEST_SPEC))
    assert text == dot_snapshot
    assert_dot_parses(text)


def test_rendering_a_spec_imports_nothing_it_names(tmp_path: Path) -> None:
    spec = tmp_path / "review.json"
    spec.write_text(json.dumps(NESTED_SPEC), encoding="utf-8")
    script = (
        "import sys, plait.cli\n"
        f"code = plait.cli.main(['render', {str(DIGEST_SPEC)!r}, '-o', 'a.dot'])\n"
        f"code += plait.cli.main(['render', {str(spec)!r}, '-o', 'b.mmd'])\n"
        "assert code == 0, code\n"
        "assert not [m for m in sys.modules if m.startswith(('examples', 'no.'))], 'imported'\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr
    assert "flowchart" in (tmp_path / "b.mmd").read_text(encoding="utf-8")


def test_kinds_routes_and_clusters_of_a_spec(
    dot_snapshot: SnapshotAssertion, assert_dot_parses: DotCheck
) -> None:
    text = to_dot(outline(NESTED_SPEC))
    assert "subgraph cluster_summarise {" in text
    assert "map over document (≤ 10)" in text
    assert "subgraph cluster_polish {" in text
    assert 'subgraph "cluster_polish/inner" {' in text
    assert "loop ≤ 3" in text
    assert "next draft" in text
    assert "classify -> escalate [label=urgent" in text
    assert 'classify -> "summarise/inputs.document" [label=normal' in text
    assert "join: first" in text
    assert "≤ 3 attempts" in text
    assert "polish/inner/write" in text
    assert text == to_dot(outline(json.dumps(NESTED_SPEC)))  # the same bytes every time
    assert text == dot_snapshot
    assert_dot_parses(text)


def test_a_spec_whose_graphs_do_not_nest_is_refused() -> None:
    broken = json.loads(json.dumps(NESTED_SPEC))
    broken["graphs"]["pen"]["nodes"][0] = {"id": "again", "kind": "subgraph", "graph": "edit"}
    with pytest.raises(SpecError, match="recursive-graph"):
        outline(broken)


def test_an_invalid_spec_exits_1_listing_its_problems(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    spec = tmp_path / "bad.json"
    spec.write_text('{"plait": "1", "name": "x", "output": "a", "nodes": []}', encoding="utf-8")
    code, stdout, stderr = render(capsys, str(spec), "-o", "x.dot")
    assert (code, stdout) == (1, "")
    assert stderr.startswith("plait: error: spec `")
    assert "$.nodes" in stderr
    assert not Path("x.dot").exists()


def _stored_run(capsys: pytest.CaptureFixture[str], store: str) -> str:
    argv = ["run", "examples.digest:graph", "--input", '{"topic": "owls"}', "--store", store]
    assert plait.cli.main([*argv, "--json"]) == 0
    run_id = json.loads(capsys.readouterr().out)["run_id"]
    assert isinstance(run_id, str)
    return run_id


def test_a_run_id_draws_the_stored_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, assert_dot_parses: DotCheck
) -> None:
    store = f"sqlite:///{tmp_path / 'runs.db'}"
    run_id = _stored_run(capsys, store)
    out = tmp_path / "run.dot"

    code, stdout, stderr = render(capsys, run_id, "--store", store, "-o", str(out))
    assert (code, stdout, stderr) == (0, f"wrote {out}\n", "")
    text = out.read_text(encoding="utf-8")
    for node in DIGEST_NODES:
        assert f"\t{node} [label=<<b>{node}</b>" in text
    assert text.count("succeeded") >= len(DIGEST_NODES)
    assert "succeeded · \N{MULTIPLICATION SIGN}2" in text  # search_papers retries once
    assert "Queries" in text  # the stored description keeps the type names
    assert_dot_parses(text)

    # Not in the default store: --store is respected.
    code, _, stderr = render(capsys, run_id, "-o", str(out))
    assert code == 2
    assert stderr.count("\n") == 1
    assert f"`{run_id}` is not a run in store" in stderr


def test_a_run_id_with_its_graph_draws_the_typed_graph(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    store = f"sqlite:///{tmp_path / 'runs.db'}"
    run_id = _stored_run(capsys, store)
    drawn = []
    for graph in (
        ["--graph", "examples.digest:graph"],
        ["--graph", str(DIGEST_SPEC), "--import", "examples.digest"],
    ):
        out = tmp_path / "run.dot"
        assert render(capsys, run_id, "--store", store, *graph, "-o", str(out))[0] == 0
        drawn.append(out.read_text(encoding="utf-8"))
    assert drawn[0] == drawn[1]
    assert "succeeded · \N{MULTIPLICATION SIGN}2" in drawn[0]
    assert "Queries" in drawn[0]


def test_a_run_id_with_another_graph_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    store = f"sqlite:///{tmp_path / 'runs.db'}"
    run_id = _stored_run(capsys, store)
    argv = [run_id, "--store", store, "--graph", "examples.approval:graph", "-o", "x.dot"]
    code, stdout, stderr = render(capsys, *argv)
    assert (code, stdout) == (1, "")
    assert stderr.count("\n") == 1
    assert "ran another version of graph `digest`" in stderr
    assert "leave out --graph" in stderr


def test_an_outline_from_a_stored_description_matches_the_spec_outline() -> None:
    stored = Outline.from_description(digest.canonical())
    from_spec = outline(DIGEST_SPEC)
    assert [node.id for node in stored.nodes] == [node.id for node in from_spec.nodes]
    assert stored.edges == from_spec.edges
    assert stored.output_type == "examples.digest.Digest"
    with pytest.raises(ValueError, match="not a plait graph description"):
        Outline.from_description({"name": "x"})
    assert "flowchart" in to_mermaid(stored)
