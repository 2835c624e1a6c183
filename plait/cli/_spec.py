"""``plait validate`` and ``plait schema``: check a JSON spec, print the format's schema.

    plait validate examples/digest.json --import examples.digest
    plait validate examples.digest:graph
    plait schema > plait-spec.schema.json

``validate`` takes a graph as every command does (``module:attribute`` or a spec, see
``_graph_name``). It exits 0 with one summary line on stdout (nodes, edges, static
bound), or 1 with every problem on stderr; with ``--json`` stdout is one JSON document
either way.
``--import MODULE`` (repeatable) names a module whose ``registry`` attribute (a
``plait.Registry``) holds the names the spec uses; ``MODULE:ATTRIBUTE`` names another
attribute. A spec never names modules itself.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from plait.cli._graph_name import GRAPH_FORMS, add_import_option, named_graph
from plait.cli._target import is_spec, load_registry, load_spec, unreadable_spec
from plait.cli._usage import RUN_FAILED

if TYPE_CHECKING:
    from plait.graphs import Graph

__all__ = ["add_import_option", "add_spec_parsers", "schema_command", "validate_command"]
# add_import_option lives in _graph_name; it is re-exported here for older imports.

ParserT = TypeVar("ParserT", bound=argparse.ArgumentParser)


def add_spec_parsers(commands: argparse._SubParsersAction[ParserT]) -> None:
    """Add the ``validate`` and ``schema`` subcommands to ``commands``."""
    validate = commands.add_parser(
        "validate",
        help="check a graph (a JSON spec, or module:attribute) and summarise it",
        description=(
            "Load TARGET (a spec with the registries of the --import modules) and compile "
            "it. Exit code 0: valid (one summary line); 1: invalid (every problem listed); "
            "2: usage error (missing file or module)."
        ),
        allow_abbrev=False,
    )
    validate.add_argument("spec", metavar="TARGET", help=GRAPH_FORMS)
    add_import_option(validate)
    validate.add_argument(
        "--json",
        action="store_true",
        help='print one JSON document: {"spec", "valid", "graph", "nodes", "edges", "bound"} '
        'or {"spec", "valid": false, "problems": [...]}',
    )
    commands.add_parser(
        "schema",
        help="print the JSON Schema of graph specs",
        description="Print the JSON Schema (draft 2020-12) of the spec format on stdout.",
        allow_abbrev=False,
    )


def validate_command(args: argparse.Namespace) -> int:
    """Run ``plait validate`` with parsed ``args``; the exit code.

    Raises:
        CliError: code 2 for a missing file or module; code 1 for an invalid spec (without
            ``--json``).
    """
    from plait.cli._settings import settings
    from plait.graphs import SpecError, load

    config = settings()
    if not is_spec(args.spec):
        return _report_valid(args, named_graph(args.spec, args.imports, config))
    registry = load_registry(config.imports(args.imports))
    if not args.json:
        graph = load_spec(args.spec, registry)
        print(f"{args.spec}: {_summary(graph)}", flush=True)
        return 0
    try:
        graph = load(Path(args.spec), registry)
    except OSError as error:
        raise unreadable_spec(args.spec, error) from None
    except SpecError as error:
        problems = [
            {"code": p.code, "location": p.location, "message": p.message, "hint": p.hint}
            for p in error.problems
        ]
        print(json.dumps({"spec": args.spec, "valid": False, "problems": problems}), flush=True)
        return RUN_FAILED
    return _report_valid(args, graph)


def _report_valid(args: argparse.Namespace, graph: Graph[object]) -> int:
    if not args.json:
        print(f"{args.spec}: {_summary(graph)}", flush=True)
        return 0
    bound = graph.bound
    document = {
        "spec": args.spec,
        "valid": True,
        "graph": graph.name,
        "nodes": len(graph.nodes),
        "edges": len(graph.edges),
        "bound": {"executions": bound.executions, "attempts": bound.attempts},
        "content_hash": graph.content_hash,
    }
    print(json.dumps(document), flush=True)
    return 0


def _summary(graph: Graph[object]) -> str:
    nodes, edges = len(graph.nodes), len(graph.edges)
    return (
        f"graph `{graph.name}` is valid: {nodes} node{'s' * (nodes != 1)}, "
        f"{edges} edge{'s' * (edges != 1)}, {graph.bound}"
    )


def schema_command(args: argparse.Namespace) -> int:
    """Run ``plait schema``: the JSON Schema on stdout; exit code 0."""
    from plait.graphs import spec_schema

    sys.stdout.write(json.dumps(spec_schema(), indent=2) + "\n")
    sys.stdout.flush()
    return 0
