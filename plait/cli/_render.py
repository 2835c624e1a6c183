"""``plait render``: write a graph's diagram as DOT, SVG, PNG, PDF or Mermaid.

    plait render examples.digest:graph -o docs/digest.svg
    plait render examples.digest:graph -o digest.mmd --direction TB --no-edge-labels
    plait render examples/digest.json -o digest.dot
    plait render examples/digest.json --import examples.digest -o digest.dot
    plait render RUN_ID -o run.svg

TARGET names a graph as every command does (``_graph_name``), or a stored run. A spec with
no registry to load it (no ``--import``, no ``imports:`` in plait.yaml) is drawn from its
text alone: node kinds and ids, edges, routes and clusters, with the types it writes; it
is read as data and nothing it names is imported. A RUN_ID draws that run's graph (see
``_render_run``) coloured by its checkpoints.

Prints ``wrote FILE`` once the file is written. Exit codes: 0 written; 1 Graphviz is
missing or failed, the file cannot be written, or the graph is invalid; 2 a usage error
(bad target, unknown file suffix).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from plait.cli._graph_name import GRAPH_FORMS, add_graph_option, named_graph
from plait.cli._settings import Settings, add_store_option, settings
from plait.cli._target import is_spec, unreadable_spec
from plait.cli._usage import RUN_FAILED, CliError

if TYPE_CHECKING:
    from plait.graphs import Graph, Outline
    from plait.visual import RunView

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
        help=GRAPH_FORMS + "; a spec without them is drawn from its text alone (kinds, "
        "names, edges, routes, clusters; no Python types); or the RUN_ID of a stored run, "
        "drawn with its statuses (--store, and --graph for its typed graph)",
    )
    add_store_option(render)
    add_graph_option(render)
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
    graph, run = _drawn(args, settings())
    try:
        render(
            graph,
            output,
            direction=args.direction,
            edge_labels=args.edge_labels,
            legend=args.legend,
            run=run,
        )
    except GraphvizNotFoundError as error:
        raise CliError(f"{error} (a `.dot` or `.mmd` file needs no Graphviz)", RUN_FAILED) from None
    except RenderError as error:
        raise CliError(str(error), RUN_FAILED) from None
    except OSError as error:
        raise CliError(f"cannot write `{output}`: {error.strerror or error}", RUN_FAILED) from None
    print(f"wrote {output}", flush=True)
    return 0


def _is_run_id(target: str) -> bool:
    """A TARGET that is neither a spec file nor a (possibly mistyped) Python name."""
    return not is_spec(target) and not any(mark in target for mark in ".:/\\")


def _drawn(
    args: argparse.Namespace, config: Settings
) -> tuple[Graph[object] | Outline, RunView | None]:
    """What TARGET names: a graph, a spec's outline, or a stored run's graph and statuses."""
    import anyio

    from plait.cli._render_run import stored_run
    from plait.graphs import SpecError, outline

    target: str = args.target
    if _is_run_id(target):
        return anyio.run(stored_run, target, args, config)
    if args.graph is not None:
        raise CliError(f"--graph names the graph of a RUN_ID; `{target}` is a graph already")
    if is_spec(target) and not config.imports(args.imports):
        try:
            return outline(Path(target)), None
        except SpecError as error:
            raise CliError(str(error), RUN_FAILED) from None
        except OSError as error:
            raise unreadable_spec(target, error) from None
    return named_graph(target, args.imports, config), None
