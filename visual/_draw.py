"""Turn a graph into a ``Diagram``: one small function per node kind.

Kinds are read by duck typing (``node.kind`` and ``getattr`` on the attributes a kind
carries), so a kind is drawn by its contract, not by importing its class. Everything is
ordered by (depth from the inputs, id), never by dict order or ``id()``, so equal graphs
give equal diagrams.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from plait.graphs import INPUTS, Edge, Graph
from plait.nodes import Node, field_types, type_name
from plait.visual._diagram import Arrow, Box, Cluster, Diagram, Direction
from plait.visual._order import Routes, edge_order, layout_order
from plait.visual._overlay import Overlay

__all__ = ["DrawOptions", "draw"]


@dataclass(frozen=True, slots=True)
class DrawOptions:
    """What to draw besides the graph itself."""

    direction: Direction = "LR"
    edge_labels: bool = True
    legend: bool = True
    overlay: Overlay | None = None


@dataclass(frozen=True, slots=True)
class Drawn:
    """What one node became, and where edges into and out of it attach."""

    box: Box | None
    cluster: Cluster | None
    entry: str
    exit: str
    entries: Mapping[str, str] = field(default_factory=dict)
    """Input name -> the box that receives it, for nodes drawn as clusters."""

    def entry_for(self, input_name: str) -> str:
        return self.entries.get(input_name, self.entry)


@dataclass(slots=True)
class Part:
    """What drawing one graph produced: its boxes and clusters, and its ports."""

    boxes: list[Box] = field(default_factory=list)
    clusters: list[Cluster] = field(default_factory=list)
    entries: dict[str, str] = field(default_factory=dict)
    exit: str = ""


def draw(graph: Graph[object], options: DrawOptions) -> Diagram:
    """The diagram of ``graph``, with the options' labels, legend and run overlay."""
    drawer = _Drawer(options)
    part = drawer.graph(graph, "")
    statuses = sorted(drawer.statuses)
    return Diagram(
        name=graph.name,
        direction=options.direction,
        boxes=tuple(part.boxes),
        clusters=tuple(part.clusters),
        arrows=tuple(drawer.arrows),
        kinds=tuple(sorted(drawer.kinds - {"port"})),
        statuses=tuple(statuses),
        legend=options.legend,
        overlay=options.overlay is not None,
    )


class DrawerBase:
    """What every drawer keeps as it walks (arrows, kinds and statuses seen) and how it
    reads the run overlay; the graph drawer and the spec-outline drawer share it."""

    def __init__(self, options: DrawOptions) -> None:
        self.options = options
        self.arrows: list[Arrow] = []
        self.kinds: set[str] = set()
        self.statuses: set[str] = set()

    def overlay_of(self, path: str) -> tuple[str | None, str]:
        """The status of ``path`` and its line of figures, in an overlay."""
        overlay = self.options.overlay
        status = None if overlay is None else overlay.status(path)
        if overlay is None or status is None:
            return None, ""
        self.statuses.add(status)
        figures = overlay.detail(path)
        return status, f"{status} · {figures}" if figures else status

    def produced(self, path: str) -> bool:
        overlay = self.options.overlay
        return overlay is None or overlay.produced(path)

    def skipped(self, path: str) -> bool:
        overlay = self.options.overlay
        return overlay is not None and overlay.nearest_status(path) == "skipped"


class _Drawer(DrawerBase):
    """Walks a graph and the graphs nested in its nodes, collecting arrows on the way."""

    # -- one graph ------------------------------------------------------------------

    def graph(self, graph: Graph[object], prefix: str) -> Part:
        """Draw ``graph``'s inputs, nodes and output, ids prefixed with ``prefix``."""
        nested = bool(prefix)
        routes: Routes = getattr(graph, "routes", None) or {}
        part = Part([], [], {}, f"{prefix}graph.output")
        for name in sorted(graph.inputs):
            box_id = f"{prefix}{INPUTS}.{name}"
            part.entries[name] = box_id
            part.boxes.append(
                self.box(
                    "port" if nested else "input",
                    box_id,
                    title=name,
                    subtitle=type_name(graph.inputs[name]),
                )
            )
        drawn: dict[str, Drawn] = {}
        for node_id in _ordered(graph, routes):
            node = graph.nodes[node_id]
            kind = "router" if node_id in routes else node.kind
            kind = "pattern" if isinstance(getattr(node, "pattern", None), str) else kind
            drawn[node_id] = self.node(node, prefix + node_id, kind)
            made = drawn[node_id]
            if made.box is not None:
                part.boxes.append(made.box)
            if made.cluster is not None:
                part.clusters.append(made.cluster)
        out_head, _, out_field = graph.output.partition(".")
        part.boxes.append(
            self.box(
                "port" if nested else "output",
                part.exit,
                title="output",
                subtitle=type_name(graph.output_type),
            )
        )
        self.wire(graph, prefix, drawn, routes)
        label = ""
        if out_field and self.options.edge_labels:
            label = f"{out_field}: {type_name(graph.output_type)}"
        produced = self.produced(prefix + out_head)
        self.arrows.append(Arrow(drawn[out_head].exit, part.exit, label, "output", produced))
        return part

    def wire(
        self, graph: Graph[object], prefix: str, drawn: Mapping[str, Drawn], routes: Routes
    ) -> None:
        """The graph's data edges, then each router's labelled branches."""
        routed = {
            (router, target)
            for router, table in routes.items()
            for targets in table.values()
            for target in targets
        }
        edges = sorted(graph.edges, key=edge_order)
        for edge in edges:
            if (edge.source, edge.target) in routed:
                continue  # the router's labelled branch stands for this edge
            if edge.source == INPUTS:
                name = (edge.field or "").split(".")[0]
                tail, produced = f"{prefix}{INPUTS}.{name}", True
            else:
                tail, produced = drawn[edge.source].exit, self.produced(prefix + edge.source)
            head = drawn[edge.target].entry_for(edge.input)
            taken = produced and not self.skipped(prefix + edge.target)
            self.arrows.append(Arrow(tail, head, self.edge_label(graph, edge), "data", taken))
        for router in sorted(routes):
            if router not in drawn:
                continue
            branches = sorted((_route_label(key), tuple(ts)) for key, ts in routes[router].items())
            for label, targets in branches:
                for target in sorted(set(targets)):
                    if target not in drawn:
                        continue
                    taken = self.produced(prefix + router) and not self.skipped(prefix + target)
                    self.arrows.append(
                        Arrow(drawn[router].exit, drawn[target].entry, label, "route", taken)
                    )

    def edge_label(self, graph: Graph[object], edge: Edge) -> str:
        """``queries: Queries``, ``body: str``, or ``body → text: str`` for a renamed field."""
        if not self.options.edge_labels:
            return ""
        carried = type_name(_carried_type(graph, edge))
        if edge.field is None:
            return f"{edge.input}: {carried}"
        if edge.field.rsplit(".", 1)[-1] == edge.input:
            return f"{edge.field}: {carried}"
        return f"{edge.field} → {edge.input}: {carried}"

    # -- one node -------------------------------------------------------------------

    def node(self, node: Node[object], path: str, kind: str) -> Drawn:
        """Draw ``node`` as its kind is drawn."""
        self.kinds.add(kind)
        return _KIND_DRAWERS.get(kind, _draw_plain)(self, node, path, kind)

    def box(self, kind: str, box_id: str, *, title: str, subtitle: str = "", note: str = "") -> Box:
        """A box with the overlay's status and figures for ``box_id``, if any."""
        self.kinds.add(kind)
        status, detail = self.overlay_of(box_id)
        return Box(box_id, kind, title, subtitle, note, status, detail)

    def node_box(self, node: Node[object], path: str, kind: str, note: str = "") -> Drawn:
        """The usual drawing of a node: one box, edges attached to it."""
        status, detail = self.overlay_of(path)
        tooltip = node.description or node.id
        note = " · ".join(part for part in (note, *_policies(node)) if part)
        box = Box(path, kind, node.id, type_name(node.output), note, status, detail, tooltip)
        return Drawn(box, None, path, path)

    def frame(self, node: Node[object], path: str, kind: str, subtitle: str, body: object) -> Drawn:
        """A cluster around ``body`` (a graph or a node); edges attach to what is inside."""
        status, detail = self.overlay_of(path)
        if isinstance(body, Graph) and _single_node(body) is None:
            part = self.graph(body, f"{path}/")
            cluster = Cluster(
                f"cluster_{path}",
                kind,
                node.id,
                subtitle,
                tuple(part.boxes),
                tuple(part.clusters),
                status,
                detail,
            )
            entry = min(part.entries.values(), default=part.exit)
            return Drawn(None, cluster, entry, part.exit, part.entries)
        if isinstance(body, Graph):
            body = _single_node(body)
        if isinstance(body, Node):
            inner = self.node(body, f"{path}/{body.id}", body.kind)
            boxes = () if inner.box is None else (inner.box,)
            clusters = () if inner.cluster is None else (inner.cluster,)
            cluster = Cluster(
                f"cluster_{path}", kind, node.id, subtitle, boxes, clusters, status, detail
            )
            return Drawn(None, cluster, inner.entry, inner.exit, inner.entries)
        return self.node_box(node, path, kind, note=subtitle)  # no body to show


# -- the kinds ----------------------------------------------------------------------

KindDrawer = Callable[[_Drawer, Node[object], str, str], Drawn]


def _draw_plain(drawer: _Drawer, node: Node[object], path: str, kind: str) -> Drawn:
    """function, agent, tool, human input, router, and kinds not known here: one box."""
    return drawer.node_box(node, path, kind)


def _draw_join(drawer: _Drawer, node: Node[object], path: str, kind: str) -> Drawn:
    """A join: its policy (``all``, ``first``, ``2 of n``, ``collect``) under its type."""
    policy = str(getattr(node, "policy", "all"))
    k = getattr(node, "k", None)
    if policy == "k_of_n":
        policy = f"{k} of n" if isinstance(k, int) else "k of n"
    return drawer.node_box(node, path, kind, note=f"join: {policy}")


def _draw_map(drawer: _Drawer, node: Node[object], path: str, kind: str) -> Drawn:
    """A map: a cluster around its body, ``map over <input> (≤ N)``."""
    subtitle = f"map over {getattr(node, 'over', '?')}"
    limits = []
    max_items = getattr(node, "max_items", None)
    if isinstance(max_items, int):
        limits.append(f"≤ {max_items}")
    concurrency = getattr(node, "concurrency", None)
    if isinstance(concurrency, int):
        limits.append(f"{concurrency} at a time")
    if limits:
        subtitle += f" ({', '.join(limits)})"
    return drawer.frame(node, path, kind, subtitle, getattr(node, "body", None))


def _draw_loop(drawer: _Drawer, node: Node[object], path: str, kind: str) -> Drawn:
    """A loop: a cluster around its body, ``loop ≤ N``, its output dashed back to ``carry``."""
    max_iterations = getattr(node, "max_iterations", None)
    subtitle = f"loop ≤ {max_iterations}" if isinstance(max_iterations, int) else "loop"
    drawn = drawer.frame(node, path, kind, subtitle, getattr(node, "body", None))
    carry = getattr(node, "carry", None)
    back = drawn.entry_for(carry) if isinstance(carry, str) else drawn.entry
    if drawn.cluster is not None:
        label = f"next {carry}" if isinstance(carry, str) else "next"
        drawer.arrows.append(Arrow(drawn.exit, back, label, "repeat"))
    return drawn


def _draw_subgraph(drawer: _Drawer, node: Node[object], path: str, kind: str) -> Drawn:
    """A subgraph: a cluster holding the inner graph's nodes."""
    inner = getattr(node, "graph", None)
    subtitle = f"subgraph {inner.name}" if isinstance(inner, Graph) else "subgraph"
    return drawer.frame(node, path, kind, subtitle, inner)


def _draw_pattern(drawer: _Drawer, node: Node[object], path: str, kind: str) -> Drawn:
    """An agent pattern: a cluster holding its graph, ``chain``, ``router``, ..."""
    options = dict(getattr(node, "options", ()))
    subtitle = node.kind.replace("_", "-")
    if options.get("iterative"):
        subtitle += f" (≤ {options.get('plan_iterations')} plans)"
    elif isinstance(options.get("max_refinements"), int):
        subtitle += f" (≤ {options['max_refinements']} refinements)"
    return drawer.frame(node, path, "pattern", subtitle, getattr(node, "graph", None))


_KIND_DRAWERS: dict[str, KindDrawer] = {
    "join": _draw_join,
    "map": _draw_map,
    "loop": _draw_loop,
    "subgraph": _draw_subgraph,
    "pattern": _draw_pattern,
}


# -- helpers ------------------------------------------------------------------------


def _ordered(graph: Graph[object], routes: Routes) -> list[str]:
    return layout_order(graph.nodes, graph.edges, routes)


def _policies(node: Node[object]) -> tuple[str, ...]:
    """The node's own retry and timeout, as a design review wants to see them."""
    found: list[str] = []
    if node.retry is not None and node.retry.max_attempts > 1:
        found.append(f"≤ {node.retry.max_attempts} attempts")
    if node.timeout is not None:
        found.append(f"timeout {node.timeout:g} s")
    return tuple(found)


def _single_node(graph: Graph[object]) -> Node[object] | None:
    """The one node of a graph that only wraps it (a map over a plain function), or None."""
    if len(graph.nodes) != 1 or graph.output not in graph.nodes:
        return None
    (only,) = graph.nodes.values()
    wired = all(
        edge.source == INPUTS and edge.field == edge.input and edge.target == only.id
        for edge in graph.edges
    )
    return only if wired and {edge.input for edge in graph.edges} == set(graph.inputs) else None


def _carried_type(graph: Graph[object], edge: Edge) -> object:
    """The static type of the value on ``edge``: the source's output or a field of it."""
    if edge.source == INPUTS:
        name, _, path = (edge.field or "").partition(".")
        current: object = graph.inputs.get(name, object)
    else:
        current, path = graph.nodes[edge.source].output, edge.field or ""
    for segment in path.split(".") if path else ():
        fields = field_types(current)
        if fields is None or segment not in fields:
            wanted = graph.nodes[edge.target].input(edge.input)
            return object if wanted is None else wanted.annotation
        current = fields[segment]
    return current


def _route_label(key: object) -> str:
    """A route's label as written: ``approve`` for ``"approve"`` or ``Verdict.APPROVE``."""
    if isinstance(key, enum.Enum):
        return key.value if isinstance(key.value, str) else key.name
    if isinstance(key, str):
        return key
    return repr(key)
