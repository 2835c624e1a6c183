"""Turn an outline (a graph's shape, types as text) into a ``Diagram``.

It draws as ``_draw`` draws a compiled graph — the same boxes, clusters, arrows and
order — with the types an outline knows (often none: then edges show only the fields
they carry).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from plait.graphs import INPUTS, Edge, Outline, OutlineNode
from plait.visual._diagram import Arrow, Box, Cluster, Diagram
from plait.visual._draw import DrawerBase, Drawn, DrawOptions, Part
from plait.visual._order import edge_order, layout_order

__all__ = ["draw_outline"]

_MODULE_PATH = re.compile(r"\b(?:[A-Za-z_]\w*\.)+(?=[A-Za-z_]\w*)")


def short(type_text: str) -> str:
    """``list[examples.digest.Finding]`` as ``list[Finding]``, as diagrams name types."""
    return _MODULE_PATH.sub("", type_text)


def draw_outline(outline: Outline, options: DrawOptions) -> Diagram:
    """The diagram of ``outline``, with the options' labels, legend and run overlay."""
    drawer = _OutlineDrawer(options)
    part = drawer.graph(outline, "")
    return Diagram(
        name=outline.name,
        direction=options.direction,
        boxes=tuple(part.boxes),
        clusters=tuple(part.clusters),
        arrows=tuple(drawer.arrows),
        kinds=tuple(sorted(drawer.kinds - {"port"})),
        statuses=tuple(sorted(drawer.statuses)),
        legend=options.legend,
        overlay=options.overlay is not None,
    )


class _OutlineDrawer(DrawerBase):
    def graph(self, outline: Outline, prefix: str) -> Part:
        nested = bool(prefix)
        part = Part(exit=f"{prefix}graph.output")
        for name in sorted(outline.inputs):
            box_id = f"{prefix}{INPUTS}.{name}"
            part.entries[name] = box_id
            kind = "port" if nested else "input"
            part.boxes.append(self.box(kind, box_id, name, short(outline.inputs[name])))
        nodes = {node.id: node for node in outline.nodes}
        drawn: dict[str, Drawn] = {}
        for node_id in layout_order(nodes, outline.edges, outline.routes):
            kind = "router" if node_id in outline.routes else nodes[node_id].kind
            made = drawn[node_id] = self.node(nodes[node_id], prefix + node_id, kind)
            if made.box is not None:
                part.boxes.append(made.box)
            if made.cluster is not None:
                part.clusters.append(made.cluster)
        output_type = short(outline.output_type)
        kind = "port" if nested else "output"
        part.boxes.append(self.box(kind, part.exit, "output", output_type))
        self.wire(outline, prefix, nodes, drawn)
        head, _, selected = outline.output.partition(".")
        if head in drawn:
            label = self.label(selected or "", "", output_type) if selected else ""
            produced = self.produced(prefix + head)
            self.arrows.append(Arrow(drawn[head].exit, part.exit, label, "output", produced))
        return part

    def wire(
        self,
        outline: Outline,
        prefix: str,
        nodes: Mapping[str, OutlineNode],
        drawn: Mapping[str, Drawn],
    ) -> None:
        routes = outline.routes
        routed = {(r, t) for r, table in routes.items() for ts in table.values() for t in ts}
        for edge in sorted(outline.edges, key=edge_order):
            if (edge.source, edge.target) in routed or edge.target not in drawn:
                continue
            if edge.source == INPUTS:
                name = (edge.field or "").split(".")[0]
                tail, produced = f"{prefix}{INPUTS}.{name}", True
                carried = outline.inputs.get(name, "") if name == edge.field else ""
            elif edge.source in drawn:
                tail, produced = drawn[edge.source].exit, self.produced(prefix + edge.source)
                carried = nodes[edge.source].output if edge.field is None else ""
            else:
                continue  # a source the outline does not have: nothing to draw from
            carried = carried or nodes[edge.target].inputs.get(edge.input, "")
            head = drawn[edge.target].entry_for(edge.input)
            taken = produced and not self.skipped(prefix + edge.target)
            label = self.edge_label(edge, short(carried))
            self.arrows.append(Arrow(tail, head, label, "data", taken))
        for router in sorted(routes):
            if router not in drawn:
                continue
            for label, targets in sorted(routes[router].items()):
                for target in sorted(set(targets) & drawn.keys()):
                    taken = self.produced(prefix + router) and not self.skipped(prefix + target)
                    self.arrows.append(
                        Arrow(drawn[router].exit, drawn[target].entry, label, "route", taken)
                    )

    def edge_label(self, edge: Edge, carried: str) -> str:
        if edge.field is None:
            return self.label(edge.input, "", carried)
        if edge.field.rsplit(".", 1)[-1] == edge.input:
            return self.label(edge.field, "", carried)
        return self.label(edge.field, edge.input, carried)

    def label(self, carried_field: str, renamed: str, carried: str) -> str:
        """``field: Type``, ``field → input: Type``, or without ``: Type`` when unknown."""
        if not self.options.edge_labels:
            return ""
        text = f"{carried_field} → {renamed}" if renamed else carried_field
        return f"{text}: {carried}" if carried else text

    def node(self, node: OutlineNode, path: str, kind: str) -> Drawn:
        if node.pattern:  # its graph is built by code the outline does not run
            return self.pattern(node, path)
        self.kinds.add(kind)
        facts = node.facts
        if kind in ("map", "loop", "subgraph"):
            return self.frame(node, path, kind, _frame_subtitle(node))
        note = ""
        if kind == "join":
            policy = str(facts.get("policy", "all"))
            if policy == "k_of_n":
                policy = f"{facts.get('k', 'k')} of n"
            note = f"join: {policy}"
        return self.node_box(node, path, kind, note)

    def node_box(self, node: OutlineNode, path: str, kind: str, note: str) -> Drawn:
        status, detail = self.overlay_of(path)
        notes = " · ".join(part for part in (note, *_policies(node)) if part)
        tooltip = node.description or node.id
        box = Box(path, kind, node.id, short(node.output), notes, status, detail, tooltip)
        return Drawn(box, None, path, path)

    def frame(self, node: OutlineNode, path: str, kind: str, subtitle: str) -> Drawn:
        if node.body is None:
            return self.node_box(node, path, kind, subtitle)  # a stored body: only its hash
        status, detail = self.overlay_of(path)
        part = self.graph(node.body, f"{path}/")
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
        drawn = Drawn(None, cluster, entry, part.exit, part.entries)
        carry = node.facts.get("carry")
        if kind == "loop":
            label = f"next {carry}" if isinstance(carry, str) else "next"
            back = drawn.entry_for(carry) if isinstance(carry, str) else drawn.entry
            self.arrows.append(Arrow(drawn.exit, back, label, "repeat"))
        return drawn

    def pattern(self, node: OutlineNode, path: str) -> Drawn:
        """A grey frame titled by the pattern's id and kind around its parts by name (a
        graph part framed in turn), in role order: what a spec says, nothing resolved."""
        subtitle = node.kind.replace("_", "-")
        if not node.parts:  # a stored description: the parts are not recorded
            self.kinds.add("part")
            return self.node_box(node, path, "part", subtitle)
        self.kinds.add("unresolved")
        boxes: list[Box] = []
        clusters: list[Cluster] = []
        ends: list[tuple[str, str, Mapping[str, str]]] = []
        for index, (role, member) in enumerate(node.parts):
            member_path = f"{path}/{role}.{index}"
            if isinstance(member, str):
                boxes.append(self.box("part", member_path, member, role))
                ends.append((member_path, member_path, {}))
                continue
            part = self.graph(member, f"{member_path}/")
            inner = Cluster(
                f"cluster_{member_path}",
                "unresolved",
                member.name,
                role,
                tuple(part.boxes),
                tuple(part.clusters),
            )
            clusters.append(inner)
            ends.append((min(part.entries.values(), default=part.exit), part.exit, part.entries))
        status, detail = self.overlay_of(path)
        title, tuple_boxes = node.id, tuple(boxes)
        cluster = Cluster(
            f"cluster_{path}",
            "unresolved",
            title,
            subtitle,
            tuple_boxes,
            tuple(clusters),
            status,
            detail,
        )
        (entry, _, entries), (_, exit, _) = ends[0], ends[-1]
        return Drawn(None, cluster, entry, exit, entries)

    def box(self, kind: str, box_id: str, title: str, subtitle: str) -> Box:
        self.kinds.add(kind)
        status, detail = self.overlay_of(box_id)
        return Box(box_id, kind, title, subtitle, "", status, detail)


def _frame_subtitle(node: OutlineNode) -> str:
    """``map over items (≤ 10, 4 at a time)``, ``loop ≤ 5``, ``subgraph inner``."""
    facts = node.facts
    if node.kind == "map":
        limits = []
        if isinstance(facts.get("max_items"), int):
            limits.append(f"≤ {facts['max_items']}")
        if isinstance(facts.get("concurrency"), int):
            limits.append(f"{facts['concurrency']} at a time")
        subtitle = f"map over {facts.get('over', '?')}"
        return subtitle + (f" ({', '.join(limits)})" if limits else "")
    if node.kind == "loop":
        bound = facts.get("max_iterations")
        return f"loop ≤ {bound}" if isinstance(bound, int) else "loop"
    name = node.body.name if node.body is not None else None
    return f"subgraph {name}" if name else "subgraph"


def _policies(node: OutlineNode) -> tuple[str, ...]:
    found: list[str] = []
    attempts, timeout = node.facts.get("max_attempts"), node.facts.get("timeout")
    if isinstance(attempts, int) and attempts > 1:
        found.append(f"≤ {attempts} attempts")
    if isinstance(timeout, int | float) and not isinstance(timeout, bool):
        found.append(f"timeout {timeout:g} s")
    return tuple(found)
