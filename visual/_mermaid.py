"""Mermaid flowchart text from a diagram, for Markdown (GitHub, GitLab, MkDocs).

Same shapes and colours as the DOT output, minus the legend: Mermaid has no way to keep a
legend out of the layout. Ids are made Mermaid-safe (``n_``/``in_``/``out_`` prefixes keep
them off keywords such as ``end``), in diagram order, so the text is deterministic.
"""

from __future__ import annotations

import re

from plait.visual._diagram import Arrow, Box, Cluster, Diagram
from plait.visual._style import FADED, INK, MUTED, kind_style, status_style

__all__ = ["write_mermaid"]

_UNSAFE = re.compile(r"[^A-Za-z0-9_]")
_TAKEN = status_style("succeeded").line
_NEUTRAL = "fill:#ffffff,stroke:#94a3b8"
_INDENT = "    "


def write_mermaid(diagram: Diagram) -> str:
    """The Mermaid ``flowchart`` text of ``diagram``."""
    names = _Names()
    lines = ["---", f"title: {_text(diagram.name)}", "---", f"flowchart {diagram.direction}"]
    classes: dict[str, list[str]] = {}
    for box in diagram.boxes:
        lines.append(_INDENT + _box(box, names, classes, diagram.overlay))
    for cluster in diagram.clusters:
        lines.extend(_cluster(cluster, names, classes, diagram.overlay, depth=1))
    link_styles: list[str] = []
    for index, arrow in enumerate(diagram.arrows):
        lines.append(_INDENT + _arrow(arrow, names))
        style = _link_style(arrow, diagram.overlay)
        if style:
            link_styles.append(f"{_INDENT}linkStyle {index} {style}")
    lines.extend(link_styles)
    for name in sorted(classes):
        lines.append(f"{_INDENT}classDef {name} {_class_style(name)}")
        lines.append(f"{_INDENT}class {','.join(classes[name])} {name}")
    return "\n".join(lines) + "\n"


class _Names:
    """Diagram ids -> Mermaid ids: letters, digits and ``_``, unique, first come first named."""

    def __init__(self) -> None:
        self._names: dict[str, str] = {}
        self._taken: set[str] = set()

    def __call__(self, box_id: str) -> str:
        name = self._names.get(box_id)
        if name is None:
            name = self._new(box_id)
            self._names[box_id] = name
            self._taken.add(name)
        return name

    def _new(self, box_id: str) -> str:
        if box_id.startswith("cluster_"):
            base = "c_" + box_id.removeprefix("cluster_")
        else:
            path, _, last = box_id.rpartition("/")
            within = f"{path}/" if path else ""
            if last.startswith("inputs."):
                base = f"in_{within}{last.removeprefix('inputs.')}"
            elif last == "graph.output":
                base = f"out_{within}".rstrip("_/")
            else:
                base = f"n_{box_id}"
        base = _UNSAFE.sub("_", base.replace("/", "__"))
        name, count = base, 1
        while name in self._taken:
            count += 1
            name = f"{base}_{count}"
        return name


def _text(text: str) -> str:
    """Mermaid entity codes for the characters that end or confuse a quoted label."""
    codes = (("#", "#35;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;"), ("|", "#124;"))
    for char, code in codes:
        text = text.replace(char, code)
    return text


def _label(title: str, *lines: str) -> str:
    return "<br/>".join([f"<b>{_text(title)}</b>", *(_text(line) for line in lines if line)])


def _box(box: Box, names: _Names, classes: dict[str, list[str]], overlay: bool) -> str:
    name = names(box.id)
    opening, closing = kind_style(box.kind).mermaid
    if box.status is not None:
        group = f"status_{_UNSAFE.sub('_', box.status)}"
    elif overlay and box.kind not in ("input", "output", "port"):
        group = "neutral"
    else:
        group = f"kind_{_UNSAFE.sub('_', box.kind)}"
    classes.setdefault(group, []).append(name)
    label = _label(box.title, box.subtitle, box.note, box.detail)
    return f"{name}{opening}{label}{closing}"


def _cluster(
    cluster: Cluster, names: _Names, classes: dict[str, list[str]], overlay: bool, depth: int
) -> list[str]:
    indent = _INDENT * depth
    name = names(cluster.id)
    label = _label(cluster.title, cluster.subtitle, cluster.detail)
    lines = [f'{indent}subgraph {name}["{label}"]']
    for box in cluster.boxes:
        lines.append(indent + _INDENT + _box(box, names, classes, overlay))
    for inner in cluster.clusters:
        lines.extend(_cluster(inner, names, classes, overlay, depth + 1))
    lines.append(f"{indent}end")
    if cluster.status is not None:
        status = status_style(cluster.status)
        lines.append(f"{indent}style {name} fill:{status.fill},stroke:{status.line}")
    elif overlay:
        lines.append(f"{indent}style {name} {_NEUTRAL}")
    else:
        style = kind_style(cluster.kind)
        lines.append(f"{indent}style {name} fill:{style.fill},stroke:{style.line}")
    return lines


def _arrow(arrow: Arrow, names: _Names) -> str:
    link = "-.->" if arrow.role in ("route", "repeat") or not arrow.taken else "-->"
    label = f'|"{_text(arrow.label)}"|' if arrow.label else ""
    return f"{names(arrow.tail)} {link}{label} {names(arrow.head)}"


def _link_style(arrow: Arrow, overlay: bool) -> str:
    if not arrow.taken:
        return f"stroke:{FADED.line},color:{FADED.text}"
    if overlay:
        return f"stroke:{_TAKEN},stroke-width:2px"
    if arrow.role in ("route", "repeat"):
        colour = kind_style("router" if arrow.role == "route" else "loop").line
        return f"stroke:{colour},color:{colour}"
    return ""


def _class_style(name: str) -> str:
    if name == "neutral":
        return f"{_NEUTRAL},color:{INK}"
    if name.startswith("status_"):
        status = status_style(name.removeprefix("status_"))
        dashed = ",stroke-dasharray:4 3" if status.dashed else ""
        return f"fill:{status.fill},stroke:{status.line},color:{status.text}{dashed}"
    style = kind_style(name.removeprefix("kind_"))
    width = ",stroke-width:3px" if style.peripheries > 1 else ""
    colour = MUTED if name == "kind_port" else INK
    return f"fill:{style.fill},stroke:{style.line},color:{colour}{width}"
