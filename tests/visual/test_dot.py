"""DOT output: the visual language, snapshots of example graphs, and determinism."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Literal

import pytest
from syrupy.assertion import SnapshotAssertion

from examples.digest import graph as digest
from plait import GraphBuilder, node
from plait.visual import to_dot

from . import sample_graphs
from .conftest import DotCheck

ROOT = Path(__file__).resolve().parents[2]
EDGE = re.compile(r'^\t+("[^"]+"|\S+) -> ("[^"]+"|\S+)(?: \[(.*)\])?$', re.MULTILINE)


def edges(source: str) -> list[tuple[str, str, str]]:
    """(tail, head, attributes) of every edge statement, quotes removed from the ids."""
    return [
        (tail.strip('"'), head.strip('"'), attributes)
        for tail, head, attributes in EDGE.findall(source)
    ]


def node_line(source: str, node_id: str) -> str:
    """The statement declaring ``node_id``."""
    quoted = f'"{node_id}"' if not node_id.isidentifier() else node_id
    found = [line for line in source.splitlines() if line.strip().startswith(f"{quoted} [")]
    assert len(found) == 1, f"{node_id} declared {len(found)} times"
    return found[0]


# -- the example graph ------------------------------------------------------------------


def test_digest(dot_snapshot: SnapshotAssertion, assert_dot_parses: DotCheck) -> None:
    source = to_dot(digest)
    assert_dot_parses(source)
    assert source == dot_snapshot


def test_digest_top_to_bottom(dot_snapshot: SnapshotAssertion, assert_dot_parses: DotCheck) -> None:
    source = to_dot(digest, direction="TB")
    assert_dot_parses(source)
    assert "rankdir=TB" in source
    assert source == dot_snapshot


def test_digest_without_edge_labels(
    dot_snapshot: SnapshotAssertion, assert_dot_parses: DotCheck
) -> None:
    source = to_dot(digest, edge_labels=False)
    assert_dot_parses(source)
    assert all("label=" not in attributes for _, _, attributes in edges(source))
    assert source == dot_snapshot


def test_digest_without_legend(assert_dot_parses: DotCheck) -> None:
    source = to_dot(digest, legend=False)
    assert_dot_parses(source)
    assert "legend" not in source


def test_nodes_show_id_and_output_type_and_inputs_and_output_are_their_own_shapes() -> None:
    source = to_dot(digest)
    assert "<b>search_papers</b>" in node_line(source, "search_papers")
    assert "list[Finding]" in node_line(source, "search_papers")
    assert "≤ 3 attempts" in node_line(source, "search_papers")
    assert "shape=box" in node_line(source, "plan")
    assert "shape=ellipse" in node_line(source, "inputs.topic")
    assert "peripheries=2" in node_line(source, "graph.output")
    assert "Digest" in node_line(source, "graph.output")


def test_edges_carry_the_input_name_and_type() -> None:
    labels = {(tail, head): attributes for tail, head, attributes in edges(to_dot(digest))}
    assert 'label="topic: str"' in labels["inputs.topic", "plan"]
    assert 'label="queries: Queries"' in labels["plan", "write"]
    assert 'label="findings: list[Finding]"' in labels["rank", "write"]


def test_the_legend_lists_the_kinds_present() -> None:
    source = to_dot(digest)
    legend = source[source.index('subgraph "cluster.legend"') :]
    assert re.findall(r'"legend\.(\w+)" \[label=', legend) == ["input", "function", "output"]


def test_a_bad_direction_is_refused() -> None:
    with pytest.raises(ValueError, match="`LR` or `TB`"):
        to_dot(digest, direction="RL")  # type: ignore[arg-type]


# -- fields, renamed inputs, pydantic outputs ----------------------------------------------


def test_field_edges(dot_snapshot: SnapshotAssertion, assert_dot_parses: DotCheck) -> None:
    source = to_dot(sample_graphs.field_graph())
    assert_dot_parses(source)
    labels = [(tail, head, attributes) for tail, head, attributes in edges(source)]
    assert ("fetch", "summarise", 'label="body → text: str"') in labels
    assert ("fetch", "report", 'label="title: str"') in labels
    assert ("inputs.lang", "translate", 'label="lang: str"') in labels
    assert "≤ 3 attempts · timeout 20 s" in node_line(source, "translate")
    assert "Summary" in node_line(source, "graph.output")
    assert source == dot_snapshot


def test_nested_field_edge_shows_the_whole_path() -> None:
    source = to_dot(sample_graphs.field_graph())
    tails = [attrs for tail, head, attrs in edges(source) if (tail, head) == ("fetch", "summarise")]
    assert sorted(tails) == ['label="body → text: str"', 'label="meta.words: int"']


def test_an_output_field_labels_the_output_edge(
    dot_snapshot: SnapshotAssertion, assert_dot_parses: DotCheck
) -> None:
    source = to_dot(sample_graphs.field_graph(output="report.title"))
    assert_dot_parses(source)
    labels = {(tail, head): attributes for tail, head, attributes in edges(source)}
    assert 'label="title: str"' in labels["report", "graph.output"]
    assert source == dot_snapshot


# -- node kinds ----------------------------------------------------------------------------


def test_every_kind(dot_snapshot: SnapshotAssertion, assert_dot_parses: DotCheck) -> None:
    source = to_dot(sample_graphs.every_kind_graph())
    assert_dot_parses(source)
    assert source == dot_snapshot


def test_every_kind_top_to_bottom(
    dot_snapshot: SnapshotAssertion, assert_dot_parses: DotCheck
) -> None:
    source = to_dot(sample_graphs.every_kind_graph(), direction="TB", edge_labels=False)
    assert_dot_parses(source)
    assert source == dot_snapshot


def test_a_router_is_a_diamond_with_one_labelled_dashed_edge_per_branch() -> None:
    source = to_dot(sample_graphs.every_kind_graph())
    assert "shape=diamond" in node_line(source, "triage")
    out_of_router = [(head, attrs) for tail, head, attrs in edges(source) if tail == "triage"]
    assert [head for head, _ in out_of_router] == ["fix", "lookup"]
    for (_, attributes), label in zip(out_of_router, ["bug", "question"], strict=True):
        assert f"label={label} " in attributes
        assert "style=dashed" in attributes


def test_a_join_is_an_inverted_trapezium_with_its_policy() -> None:
    source = to_dot(sample_graphs.every_kind_graph())
    assert "shape=invtrapezium" in node_line(source, "reply")
    assert "join: first" in node_line(source, "reply")
    assert "join: all" in node_line(source, "gather")


def cluster(source: str, name: str) -> str:
    """The body of cluster ``name``, nested clusters included."""
    start = source.index(f"\tsubgraph cluster_{name} {{")
    return source[start : source.index("\n\t}", start)]


def test_subgraphs_maps_and_loops_are_clusters_around_their_bodies() -> None:
    source = to_dot(sample_graphs.every_kind_graph())
    research = cluster(source, "research")
    assert "subgraph research" in research
    for inner in ("research/inputs.topic", "research/search", "research/collate"):
        assert f'"{inner}" [' in research
    shorten_all = cluster(source, "shorten_all")
    assert "map over note (≤ 20, 4 at a time)" in shorten_all
    assert '"shorten_all/shorten" [' in shorten_all
    refine = cluster(source, "refine")
    assert "loop ≤ 3" in refine
    assert '"refine/polish" [' in refine


def test_edges_into_a_cluster_reach_the_input_it_feeds() -> None:
    pairs = {(tail, head) for tail, head, _ in edges(to_dot(sample_graphs.every_kind_graph()))}
    assert ("reply", "research/inputs.topic") in pairs
    assert ("research/graph.output", "shorten_all/shorten") in pairs
    assert ("refine/polish", "refine/polish") in pairs  # the loop's next iteration
    assert ("refine/polish", "finish") in pairs


@pytest.mark.parametrize(
    ("kind", "shape"),
    [("agent", "hexagon"), ("tool", "component"), ("human", "parallelogram"), ("new", "box")],
)
def test_kinds_drawn_by_style(kind: str, shape: str, assert_dot_parses: DotCheck) -> None:
    builder = GraphBuilder("styles", inputs={"text": str})
    built = builder.add(sample_graphs.kind_node(kind, "step"), inputs={"text": "inputs.text"})
    source = to_dot(builder.build(built))
    assert_dot_parses(source)
    assert f"shape={shape}" in node_line(source, "step")
    assert f'"legend.{kind}" [label=' in source


def test_markup_in_names_and_types_is_escaped(assert_dot_parses: DotCheck) -> None:
    @node(id="say-it")
    def say(text: str) -> Literal['say "hi" <now> & more']:
        return 'say "hi" <now> & more'

    builder = GraphBuilder("a:b <c>", inputs={"text": str})
    source = to_dot(builder.build(builder.add(say, inputs={"text": "inputs.text"})))
    assert_dot_parses(source)
    assert "Literal['say \"hi\" &lt;now&gt; &amp; more']" in source


# -- determinism and size ------------------------------------------------------------------


def test_the_same_graph_built_twice_gives_identical_dot() -> None:
    assert to_dot(sample_graphs.every_kind_graph()) == to_dot(sample_graphs.every_kind_graph())
    assert to_dot(sample_graphs.field_graph()) == to_dot(sample_graphs.field_graph())


def test_the_order_nodes_were_added_in_does_not_matter() -> None:
    def build(reverse: bool) -> str:
        builder = GraphBuilder("order", inputs={"url": str, "lang": str})
        steps = [
            (sample_graphs.fetch, {"url": "inputs.url"}),
            (sample_graphs.summarise, {"text": "fetch.body", "words": "fetch.meta.words"}),
            (sample_graphs.translate, {"text": "summarise", "lang": "inputs.lang"}),
            (sample_graphs.report, {"title": "fetch.title", "text": "translate"}),
        ]
        for step, inputs in reversed(steps) if reverse else steps:
            builder.add(step, inputs=inputs)
        return to_dot(builder.build("report"))

    assert build(reverse=False) == build(reverse=True)


def test_dot_is_the_same_in_every_process() -> None:
    code = (
        "from examples.digest import graph as g; from plait.visual import to_dot; print(to_dot(g))"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    }
    assert outputs == {to_dot(digest) + "\n"}


def test_a_thousand_node_graph_renders() -> None:
    graph = sample_graphs.large_graph(1000)
    source = to_dot(graph)
    assert len(graph.nodes) == 1000
    assert source.count("shape=box") >= 998
    drawn = [edge for edge in edges(source) if "style=invis" not in edge[2]]
    assert len(drawn) == len(graph.edges) + 1  # and the edge into the output
