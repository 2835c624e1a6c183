"""``plait render``: write a graph's diagram as DOT, SVG, PNG, PDF or Mermaid.

    plait render examples.digest:graph -o docs/digest.svg
    plait render examples.digest:graph -o digest.mmd --direction TB --no-edge-labels

Prints ``wrote FILE`` once the file is written. Exit codes: 0 written; 1 Graphviz is
missing or failed, the file cannot be written, or the graph is invalid; 2 a usage error
(bad target, unknown file suffix).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TypeVar

from plait._target import load_graph
from plait._usage import RUN_FAILED, CliError

__all__ = ["add_render_parser", "render_command"]

ParserT = TypeVar("ParserT", bound=argparse.ArgumentParser)


def add_render_parser(commands: argparse._SubParsersAction[ParserT]) -> ParserT:
    """Add the ``render`` subcommand to ``commands``."""
    from plait.visual import FORMATS

    suffixes = ", ".join(sorted(FORMATS))
    render = commands.add_parser(
        "render",
        help="draw a graph as DOT, SVG, PNG, PDF or Mermaid",
        description=(
            "Write the diagram of the graph named by TARGET to FILE, in the format its "
            f"suffix names ({suffixes}). SVG, PNG and PDF need the Graphviz `dot` program. "
            "Exit code 0: written; 1: Graphviz missing or failed, or the graph is invalid; "
            "2: usage error."
        ),
        allow_abbrev=False,
    )
    render.add_argument(
        "target",
        metavar="TARGET",
        help="module:attribute naming a compiled plait.Graph (or a zero-argument callable "
        "returning one), e.g. examples.digest:graph",
    )
    render.add_argument(
        "-o", "--output", metavar="FILE", required=True, help=f"the file to write ({suffixes})"
    )
    render.add_argument(
        "--direction",
        choices=("LR", "TB"),
        default="LR",
        help="left to right (default) or top to bottom",
    )
    render.add_argument(
        "--no-edge-labels",
        dest="edge_labels",
        action="store_false",
        help="leave the carried fields and types off the edges",
    )
    render.add_argument(
        "--no-legend", dest="legend", action="store_false", help="leave the legend out"
    )
    return render


def render_command(args: argparse.Namespace) -> int:
    """Run ``plait render`` with parsed ``args``; the exit code.

    Raises:
        CliError: code 2 for an unknown suffix or a bad target; code 1 when Graphviz is
            missing or fails, or the file cannot be written.
    """
    from plait.visual import FORMATS, GraphvizNotFoundError, RenderError, render

    output = Path(args.output)
    if output.suffix.lower() not in FORMATS:
        raise CliError(
            f"cannot tell the format of `{output}` from its suffix "
            f"`{output.suffix or '(none)'}`: use one of {', '.join(sorted(FORMATS))}"
        )
    graph = load_graph(args.target)
    try:
        render(
            graph,
            output,
            direction=args.direction,
            edge_labels=args.edge_labels,
            legend=args.legend,
        )
    except GraphvizNotFoundError as error:
        raise CliError(f"{error} (a `.dot` or `.mmd` file needs no Graphviz)", RUN_FAILED) from None
    except RenderError as error:
        raise CliError(str(error), RUN_FAILED) from None
    except OSError as error:
        raise CliError(f"cannot write `{output}`: {error.strerror or error}", RUN_FAILED) from None
    print(f"wrote {output}", flush=True)
    return 0
