"""The run overlay: colours by status, attempts, durations and tokens, untaken edges."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import pytest
from syrupy.assertion import SnapshotAssertion

from plait import NodeStatus, RunResult
from plait.visual import RunView, to_dot, to_mermaid

from . import sample_graphs
from .conftest import DotCheck

STATUS_FILLS = {
    "succeeded": "#dcfce7",
    "failed": "#fee2e2",
    "cancelled": "#ffedd5",
    "pending": "#f8fafc",
    "skipped": "#ffffff",
}
DURATIONS = {"load": 0.0123, "classify": 0.4, "validate": 1.5, "parse_csv": 0.0004}
TOKENS = {"classify": 1234}
TIMES = "\N{MULTIPLICATION SIGN}"


@pytest.fixture(scope="module")
def result() -> RunResult[str]:
    """A real run of the ingest graph: ``validate`` fails twice, ``audit`` is cancelled."""
    return sample_graphs.failing_graph().run_sync({"path": "data.csv"})


def declaration(source: str, node_id: str) -> str:
    quoted = f'"{node_id}"' if not node_id.isidentifier() else node_id
    (line,) = (row for row in source.splitlines() if row.strip().startswith(f"{quoted} ["))
    return line


def test_the_run_had_every_status(result: RunResult[str]) -> None:
    statuses = {node_id: outcome.status for node_id, outcome in result.nodes.items()}
    assert statuses == {
        "load": NodeStatus.SUCCEEDED,
        "classify": NodeStatus.SUCCEEDED,
        "parse_csv": NodeStatus.SUCCEEDED,
        "parse_json": NodeStatus.SKIPPED,
        "parsed": NodeStatus.SUCCEEDED,
        "validate": NodeStatus.FAILED,
        "audit": NodeStatus.CANCELLED,
        "publish": NodeStatus.PENDING,
    }


def test_overlay_of_a_failed_run(
    result: RunResult[str], dot_snapshot: SnapshotAssertion, assert_dot_parses: DotCheck
) -> None:
    source = to_dot(sample_graphs.failing_graph(), run=result, durations=DURATIONS, tokens=TOKENS)
    assert_dot_parses(source)
    assert source == dot_snapshot


def test_nodes_are_coloured_by_status(result: RunResult[str]) -> None:
    source = to_dot(sample_graphs.failing_graph(), run=result)
    for node_id, outcome in result.nodes.items():
        line = declaration(source, node_id)
        assert f'fillcolor="{STATUS_FILLS[outcome.status]}"' in line, node_id
        assert outcome.status.value in line
    assert "dashed" in declaration(source, "parse_json")
    assert '"legend.status.failed" [label=failed' in source


def test_attempts_durations_and_tokens_are_shown(result: RunResult[str]) -> None:
    source = to_dot(sample_graphs.failing_graph(), run=result, durations=DURATIONS, tokens=TOKENS)
    assert f"failed · {TIMES}2 · 1.50 s" in declaration(source, "validate")
    assert "succeeded · 400 ms · 1,234 tok" in declaration(source, "classify")
    assert "succeeded · 0.4 ms" in declaration(source, "parse_csv")
    assert f"{TIMES}1" not in source


def test_untaken_edges_are_grey_and_dashed(result: RunResult[str]) -> None:
    source = to_dot(sample_graphs.failing_graph(), run=result)
    edges = {
        (tail, head): attributes
        for tail, head, attributes in re.findall(r"\t(\w+) -> (\w+) \[(.*)\]", source)
    }
    faded = 'color="#94a3b8"'
    for untaken in [
        ("classify", "parse_json"),  # the branch the router did not take
        ("load", "parse_json"),  # into a skipped node
        ("parse_json", "parsed"),  # out of a skipped node
        ("validate", "publish"),  # out of a failed node
        ("audit", "publish"),  # out of a cancelled node
    ]:
        assert faded in edges[untaken], untaken
        assert "style=dashed" in edges[untaken], untaken
    for taken in [("classify", "parse_csv"), ("load", "audit"), ("parsed", "validate")]:
        assert faded not in edges[taken], taken
        assert 'color="#15803d"' in edges[taken], taken


def test_mermaid_overlay(result: RunResult[str], mermaid_snapshot: SnapshotAssertion) -> None:
    text = to_mermaid(sample_graphs.failing_graph(), run=result, durations=DURATIONS)
    assert "classDef status_failed fill:#fee2e2" in text
    assert "class n_validate status_failed" in text
    assert text == mermaid_snapshot


@dataclass(frozen=True)
class Outcome:
    status: str
    attempts: int
    duration: float | None = None


@dataclass(frozen=True)
class Run:
    nodes: Mapping[str, Outcome]


def test_any_run_shaped_object_works_and_runs_may_carry_durations() -> None:
    run: RunView = Run(
        {
            "plan": Outcome("succeeded", 1, duration=0.25),
            "search_web": Outcome("running", 1),
            "search_papers": Outcome("failed", 3),
        }
    )
    from examples.digest import graph

    source = to_dot(graph, run=run)
    assert "succeeded · 250 ms" in declaration(source, "plan")
    assert "running" in declaration(source, "search_web")
    assert f"failed · {TIMES}3" in declaration(source, "search_papers")
    # Nodes the run does not mention keep a neutral style, not a status colour.
    assert 'fillcolor="#ffffff"' in declaration(source, "rank")


def test_a_run_result_is_a_run_view(result: RunResult[str]) -> None:
    run: RunView = result  # checked by mypy: RunResult satisfies the protocol
    assert set(run.nodes) == set(sample_graphs.failing_graph().nodes)


def test_overlay_of_every_kind(
    dot_snapshot: SnapshotAssertion, assert_dot_parses: DotCheck
) -> None:
    graph = sample_graphs.every_kind_graph()
    result = graph.run_sync({"message": "app crash"})
    source = to_dot(graph, run=result)
    assert_dot_parses(source)
    assert result.nodes["lookup"].status == NodeStatus.SKIPPED
    route = re.search(r"\ttriage -> lookup \[(.*)\]", source)
    assert route is not None
    assert "label=question" in route.group(1)
    assert 'color="#94a3b8"' in route.group(1)
    research = source[source.index("\tsubgraph cluster_research {") :].splitlines()[1]
    assert 'fillcolor="#dcfce7"' in research
    assert "succeeded" in research
    assert source == dot_snapshot
