"""The run overlay draws nodes whose output came from the result cache in their own style."""

from __future__ import annotations

from plait import CachePolicy, Graph, GraphBuilder, RunOptions, node
from plait.engine import MemoryCache
from plait.visual import to_dot, to_mermaid

CACHED_FILL = "#ccfbf1"


@node(cache=CachePolicy())
def fetch(x: int) -> int:
    return x + 1


@node
def report(y: int) -> str:
    return str(y)


def _graph() -> Graph[str]:
    b = GraphBuilder("cached_overlay", inputs={"x": int})
    return b.build(b.add(report, inputs={"y": b.add(fetch, inputs={"x": "inputs.x"})}))


def _line(source: str, node_id: str) -> str:
    (line,) = (row for row in source.splitlines() if row.strip().startswith(f"{node_id} ["))
    return line


def test_a_cached_node_has_its_own_colour_and_legend_entry() -> None:
    graph = _graph()
    cache = MemoryCache()
    first = graph.run_sync({"x": 1}, options=RunOptions(cache=cache))
    second = graph.run_sync({"x": 1}, options=RunOptions(cache=cache))

    fresh, reused = to_dot(graph, run=first), to_dot(graph, run=second)
    assert CACHED_FILL not in fresh
    assert CACHED_FILL in _line(reused, "fetch")
    assert CACHED_FILL not in _line(reused, "report")
    assert "legend.status.cached" in reused
    assert "dashed" not in _line(reused, "fetch")  # its output existed: not drawn as skipped
    assert f"fill:{CACHED_FILL}" in to_mermaid(graph, run=second)
