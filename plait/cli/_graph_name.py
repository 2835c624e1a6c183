"""One way to name a graph, in every command: ``module:attribute`` or ``SPEC.json``.

    plait run examples.digest:graph
    plait render examples/digest.json --import examples.digest -o digest.svg
    plait resume RUN_ID --graph examples/digest.json --import examples.digest

``run``, ``validate`` and ``render`` take it as TARGET; ``resume``, ``fork``, ``trace``
(and ``render RUN_ID``) as ``--graph``. A spec's names come from the registries of the
``--import`` modules and of ``plait.yaml``'s ``imports:``; a Python target's module imports
what it needs, so ``--import`` with one is a mistake, while ``imports:`` (meant for specs)
is left unused.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING

from plait.cli._target import REGISTRY_ATTRIBUTE, is_spec, load_graph

if TYPE_CHECKING:
    from plait.cli._settings import Settings
    from plait.graphs import Graph

__all__ = [
    "GRAPH_FORMS",
    "add_graph_option",
    "add_import_option",
    "add_target_argument",
    "named_graph",
]

GRAPH_FORMS = (
    "module:attribute naming a plait.Graph or a zero-argument callable returning one (the "
    "current directory is searched first), e.g. examples.digest:graph; or a JSON spec file, "
    "e.g. examples/digest.json, whose names come from --import and plait.yaml's imports:"
)
"""What a graph's name may be, for the help of every command that takes one."""


def add_import_option(parser: argparse.ArgumentParser) -> None:
    """Add the repeatable ``--import MODULE`` option (stored as ``args.imports``)."""
    parser.add_argument(
        "--import",
        dest="imports",
        metavar="MODULE",
        action="append",
        default=[],
        help=(
            f"for a JSON spec: a module whose `{REGISTRY_ATTRIBUTE}` attribute (a "
            "plait.Registry) names the functions, conditions and types the spec uses; "
            "`module:attribute` for another attribute; repeatable"
        ),
    )


def add_target_argument(parser: argparse.ArgumentParser, *, also: str = "") -> None:
    """Add the positional TARGET (``args.target``) and ``--import``."""
    parser.add_argument("target", metavar="TARGET", help=GRAPH_FORMS + also)
    add_import_option(parser)


def add_graph_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--graph TARGET`` (``args.graph``) and ``--import``, for a stored run's graph."""
    parser.add_argument(
        "--graph",
        metavar="TARGET",
        default=None,
        help="where the run's graph is defined: " + GRAPH_FORMS + " (default: plait.yaml's "
        "graphs: entry for the run's graph name)",
    )
    add_import_option(parser)


def named_graph(target: str, imports: Sequence[str], config: Settings) -> Graph[object]:
    """The graph ``target`` names; ``imports`` are the ``--import`` options given.

    Raises:
        CliError: as ``load_graph`` does; code 2 for ``--import`` with a Python target.
    """
    found = config.imports(imports) if is_spec(target) else imports
    return load_graph(target, found)
