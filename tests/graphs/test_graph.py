"""The compiled graph: immutable, typed, with a stable content hash."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import assert_type

import pytest

from plait import Graph, GraphBuilder, GraphDefinitionError, NodeRef, node

from . import hashed_graph


@node
async def shout(text: str) -> str:
    return text.upper()


@node
async def pair(left: str, right: str) -> tuple[str, str]:
    return left, right


def test_builder_refs_type_the_graph() -> None:
    builder = GraphBuilder("typed", inputs={"text": str})
    ref = builder.add(shout, inputs={"text": "inputs.text"})
    assert_type(ref, NodeRef[str])
    graph = builder.build(ref)
    assert_type(graph, Graph[str])
    assert graph.output_type is str
    untyped = GraphBuilder("untyped", inputs={"text": str})
    untyped.add(shout, inputs={"text": untyped.input("text")})
    assert_type(untyped.build("shout"), Graph[object])


def test_graph_is_immutable() -> None:
    graph = hashed_graph.graph
    with pytest.raises(AttributeError, match="immutable"):
        graph.name = "other"
    with pytest.raises(TypeError):
        graph.nodes["x"] = graph.nodes["fetch"]
    assert isinstance(graph.edges, tuple)


def test_equal_definitions_have_equal_hashes() -> None:
    first, second = hashed_graph.build(), hashed_graph.build()
    assert first is not second
    assert first == second
    assert hash(first) == hash(second)
    assert len(first.content_hash) == 64
    assert hashed_graph.build("renamed").content_hash != first.content_hash


def test_any_change_changes_the_hash() -> None:
    def variant(timeout: float | None) -> str:
        builder = GraphBuilder("v", inputs={"text": str})
        builder.add(shout, timeout=timeout, inputs={"text": "inputs.text"})
        return builder.build("shout").content_hash

    assert variant(None) == variant(None)
    assert variant(1.0) != variant(None)


# The content hashes of tests/graphs/hashed_graph.py, imported as `graphs.hashed_graph`.
# Durable runs resume only into a graph with the same hash: a change here breaks them.
PINNED = (
    "e8303e7be8d400e4dc3261a0142e9fbf39efcb859b84e3151b7f623917f20da2",
    "81cc43d6ccc783cb7d989ed1103aafae7b6d53d1197ed5e32459005c6c908df0",
)


def _hashes_in_new_process(seed: str) -> tuple[str, ...]:
    code = (
        "from graphs import hashed_graph; "
        "print(hashed_graph.graph.content_hash, hashed_graph.control.content_hash)"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"},
    )
    return tuple(completed.stdout.split())


def test_hash_is_stable_across_processes() -> None:
    first, second = _hashes_in_new_process("1"), _hashes_in_new_process("2")
    assert first == second
    assert [len(digest) for digest in first] == [64, 64]


def test_hashes_are_pinned() -> None:
    assert _hashes_in_new_process("0") == PINNED


def test_canonical_description_is_readable() -> None:
    canonical = hashed_graph.graph.canonical()
    assert canonical["name"] == "hashed"
    assert canonical["inputs"] == {"url": "str"}
    assert canonical["edges"] == ["fetch -> count.text", "inputs.url -> fetch.url"]
    nodes = canonical["nodes"]
    assert isinstance(nodes, list)
    assert [entry["id"] for entry in nodes] == ["count", "fetch"]
    assert str(nodes[1]["callable"]).endswith("hashed_graph.fetch")
    assert nodes[1]["pool"] == "net"


def test_target_may_name_a_node_with_one_input() -> None:
    builder = GraphBuilder("short", inputs={"text": str})
    builder.add(shout)
    builder.edge("inputs.text", "shout")
    assert builder.build("shout").edges[0].target_ref == "shout.text"

    ambiguous = GraphBuilder("ambiguous", inputs={"text": str})
    ambiguous.add(pair)
    ambiguous.edge("inputs.text", "pair")
    with pytest.raises(GraphDefinitionError) as raised:
        ambiguous.build("pair")
    problem = next(p for p in raised.value.problems if p.code == "ambiguous-target")
    assert problem.hint == "write the target as `pair.left` or `pair.right`"


def test_repr_names_the_graph() -> None:
    text = repr(hashed_graph.graph)
    assert text.startswith("<Graph 'hashed' nodes=2 edges=2 hash=")


def test_with_nodes_rebuilds_the_same_graph_or_a_changed_one() -> None:
    from plait.graphs import with_nodes
    from plait.nodes import FunctionNode

    graph = hashed_graph.graph
    assert with_nodes(graph, lambda node: node).content_hash == graph.content_hash

    def longer_timeout(node: object) -> object:
        assert isinstance(node, FunctionNode)
        return node.with_options(timeout=9.0)

    changed = with_nodes(graph, longer_timeout)  # type: ignore[arg-type]
    assert changed.content_hash != graph.content_hash
    assert {node.timeout for node in changed.nodes.values()} == {9.0}
    assert changed.edges == graph.edges
