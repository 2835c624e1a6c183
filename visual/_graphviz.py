"""The graphviz package, behind one module: DOT text from a diagram, and the ``dot`` program.

graphviz is imported on first use, so ``import plait.visual`` stays light; its errors are
translated into ``RenderError`` here. Attributes are written in sorted order by the
package, and the diagram is already ordered, so the DOT text is deterministic.
"""

from __future__ import annotations

import html
import itertools
from types import ModuleType
from typing import Any

from plait.visual._diagram import Arrow, Box, Cluster, Diagram
from plait.visual._errors import GraphvizNotFoundError, RenderError
from plait.visual._style import (
    EDGE_FONT_SIZE,
    FADED,
    FONT,
    FONT_SIZE,
    INK,
    KIND_ORDER,
    MUTED,
    SMALL_FONT_SIZE,
    STATUS_ORDER,
    kind_style,
    status_style,
)

__all__ = ["INSTALL_HINT", "run_dot", "write_dot"]

INSTALL_HINT = (
    "install Graphviz: `apt-get install graphviz` (Debian, Ubuntu), `brew install graphviz` "
    "(macOS), `choco install graphviz` (Windows), or see https://graphviz.org/download/"
)

_NEUTRAL_FILL = "#ffffff"
_NEUTRAL_LINE = "#94a3b8"
_EDGE = "#475569"
_TAKEN = status_style("succeeded").line
_LEGEND_LINE = "#cbd5e1"


def _graphviz() -> ModuleType:
    try:
        import graphviz  # type: ignore[import-untyped, unused-ignore]
    except ImportError:
        raise GraphvizNotFoundError(
            "the `graphviz` Python package is needed for DOT output: `pip install graphviz`"
        ) from None
    module: ModuleType = graphviz
    return module


def write_dot(diagram: Diagram) -> str:
    """The DOT text of ``diagram``."""
    graphviz = _graphviz()
    dot: Any = graphviz.Digraph(
        name=diagram.name,
        graph_attr={
            "rankdir": diagram.direction,
            "label": f"<<b>{_text(diagram.name)}</b>>",
            "labelloc": "t",
            "labeljust": "l",
            "fontname": FONT,
            "fontsize": str(FONT_SIZE + 2),
            "fontcolor": INK,
            "bgcolor": "white",
            "pad": "0.25",
            "nodesep": "0.3",
            "ranksep": "0.5",
            "newrank": "true",
        },
        node_attr={
            "fontname": FONT,
            "fontsize": str(FONT_SIZE),
            "fontcolor": INK,
            "penwidth": "1.2",
            "margin": "0.14,0.06",
        },
        edge_attr={
            "fontname": FONT,
            "fontsize": str(EDGE_FONT_SIZE),
            "fontcolor": MUTED,
            "color": _EDGE,
            "arrowsize": "0.7",
        },
    )
    for box in diagram.boxes:
        dot.node(_id(box.id), **_box_attributes(box, diagram.overlay))
    for cluster in diagram.clusters:
        _add_cluster(dot, cluster, diagram.overlay)
    legend = _add_legend(dot, diagram) if diagram.legend else None
    for arrow in diagram.arrows:
        dot.edge(_id(arrow.tail), _id(arrow.head), **_arrow_attributes(arrow, diagram.overlay))
    outputs = [box.id for box in diagram.boxes if box.kind == "output"]
    if legend is not None and outputs:
        # Pins the legend after the output: to the right (LR) or below (TB).
        dot.edge(_id(outputs[0]), legend, style="invis")
    return str(dot.source)


def run_dot(source: str, format: str) -> bytes:
    """Lay out ``source`` with the ``dot`` program and return the ``format`` output.

    Raises:
        GraphvizNotFoundError: when the ``dot`` program is not on ``PATH``.
        RenderError: when ``dot`` (or the package) rejects the input or the format.
    """
    graphviz = _graphviz()
    try:
        output = graphviz.Source(source).pipe(format=format, quiet=True)
    except graphviz.ExecutableNotFound:
        raise GraphvizNotFoundError(
            f"the Graphviz `dot` program is needed to render {format.upper()} but was not "
            f"found on PATH; {INSTALL_HINT}"
        ) from None
    except ValueError as error:  # the package checks the format before running dot
        raise RenderError(f"`dot -T{format}` failed: {error}") from None
    except graphviz.CalledProcessError as error:
        stderr = error.stderr.decode(errors="replace") if error.stderr else ""
        reason = stderr.strip().splitlines()[-1] if stderr.strip() else f"exit {error.returncode}"
        raise RenderError(f"`dot -T{format}` failed: {reason}") from error
    return bytes(output)


def _id(box_id: str) -> str:
    # graphviz reads `a:b` in an edge as node `a`, port `b`.
    return box_id.replace("%", "%25").replace(":", "%3A")


def _text(text: str) -> str:
    return html.escape(text, quote=False)


def _label(title: str, *lines: tuple[str, str], align: str = "") -> str:
    """An HTML-like label: the title in bold, then small lines, each (text, colour)."""
    end = f'<br align="{align}"/>' if align else "<br/>"
    rows = [f"<b>{_text(title)}</b>"]
    rows.extend(
        f'<font point-size="{SMALL_FONT_SIZE}" color="{colour}">{_text(text)}</font>'
        for text, colour in lines
        if text
    )
    return "<" + end.join(rows) + (end if align else "") + ">"


def _box_attributes(box: Box, overlay: bool) -> dict[str, str]:
    style = kind_style(box.kind)
    fill, line, ink, dashed = style.fill, style.line, INK, False
    if box.status is not None:
        status = status_style(box.status)
        fill, line, ink, dashed = status.fill, status.line, status.text, status.dashed
    elif overlay and box.kind not in ("input", "output", "port"):
        fill, line = _NEUTRAL_FILL, _NEUTRAL_LINE  # colours mean statuses in an overlay
    detail_colour = line if box.status is not None else MUTED
    attributes = {
        "label": _label(
            box.title, (box.subtitle, MUTED), (box.note, ink), (box.detail, detail_colour)
        ),
        "shape": style.shape,
        "style": _style(rounded=style.rounded, dashed=dashed),
        "fillcolor": fill,
        "color": line,
        "fontcolor": ink,
        "tooltip": box.tooltip or box.title,
    }
    if style.peripheries != 1:
        attributes["peripheries"] = str(style.peripheries)
    if box.kind == "port":
        attributes["fontsize"] = str(SMALL_FONT_SIZE)
        attributes["margin"] = "0.06,0.02"
    return attributes


def _style(*, rounded: bool, dashed: bool) -> str:
    return ",".join(
        name
        for name, wanted in (("rounded", rounded), ("filled", True), ("dashed", dashed))
        if wanted
    )


def _add_cluster(dot: Any, cluster: Cluster, overlay: bool) -> None:
    style = kind_style(cluster.kind)
    fill, line, ink, dashed = style.fill, style.line, INK, False
    if cluster.status is not None:
        status = status_style(cluster.status)
        fill, line, ink, dashed = status.fill, status.line, status.text, status.dashed
    elif overlay:
        fill, line = _NEUTRAL_FILL, _NEUTRAL_LINE
    with dot.subgraph(name=_id(cluster.id)) as frame:
        frame.attr(
            label=_label(
                cluster.title, (cluster.subtitle, line), (cluster.detail, line), align="left"
            ),
            labeljust="l",
            fontsize=str(FONT_SIZE),
            style=_style(rounded=True, dashed=dashed),
            fillcolor=fill,
            color=line,
            fontcolor=ink,
            penwidth="1.4",
        )
        for box in cluster.boxes:
            frame.node(_id(box.id), **_box_attributes(box, overlay))
        for inner in cluster.clusters:
            _add_cluster(frame, inner, overlay)


def _add_legend(dot: Any, diagram: Diagram) -> str | None:
    """A framed list of the kinds (and, in an overlay, the statuses); its first entry."""
    names: list[str] = []
    kinds = sorted(diagram.kinds, key=_kind_rank)
    with dot.subgraph(name="cluster.legend") as legend:
        legend.attr(
            label="legend",
            labeljust="l",
            style="rounded",
            color=_LEGEND_LINE,
            fontcolor=MUTED,
            fontsize=str(SMALL_FONT_SIZE),
            rank="same",
        )
        legend.attr("node", fontsize=str(SMALL_FONT_SIZE), margin="0.08,0.03", height="0.3")
        for kind in kinds:
            style = kind_style(kind)
            overlay = diagram.overlay and kind not in ("input", "output")
            names.append(f"legend.{kind}")
            legend.node(
                names[-1],
                label=style.legend,
                shape="box" if style.cluster else style.shape,
                style=_style(rounded=style.rounded, dashed=False),
                fillcolor=_NEUTRAL_FILL if overlay else style.fill,
                color=_NEUTRAL_LINE if overlay else style.line,
                peripheries=str(style.peripheries),
                tooltip=style.legend,
            )
        for name in sorted(diagram.statuses, key=_status_rank):
            status = status_style(name)
            names.append(f"legend.status.{name}")
            legend.node(
                names[-1],
                label=name,
                shape="box",
                style=_style(rounded=True, dashed=status.dashed),
                fillcolor=status.fill,
                color=status.line,
                fontcolor=status.text,
                tooltip=name,
            )
        # Invisible flat edges keep the entries in order (dot lays LR out bottom to top).
        ordered = names[::-1] if diagram.direction == "LR" else names
        for tail, head in itertools.pairwise(ordered):
            legend.edge(tail, head, style="invis", minlen="0")
    return names[0] if names else None


def _kind_rank(kind: str) -> tuple[int, str]:
    return (KIND_ORDER.index(kind), kind) if kind in KIND_ORDER else (len(KIND_ORDER), kind)


def _status_rank(status: str) -> tuple[int, str]:
    if status in STATUS_ORDER:
        return (STATUS_ORDER.index(status), status)
    return (len(STATUS_ORDER), status)


def _arrow_attributes(arrow: Arrow, overlay: bool) -> dict[str, str]:
    attributes: dict[str, str] = {}
    if arrow.label:
        attributes["label"] = arrow.label
    if arrow.role == "route":
        router = kind_style("router").line
        attributes.update(style="dashed", color=router, fontcolor=router)
    elif arrow.role == "repeat":
        loop = kind_style("loop").line
        attributes.update(style="dashed", color=loop, fontcolor=loop, constraint="false")
    if overlay and arrow.taken:
        attributes.update(color=_TAKEN, penwidth="1.4")
    elif not arrow.taken:
        attributes.update(style="dashed", color=FADED.line, fontcolor=FADED.text)
    return attributes
