"""``plait trace diff A B``: compare two stored traces node by node."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from plait._usage import RUN_FAILED, CliError

if TYPE_CHECKING:
    from plait.engine import Trace

__all__ = ["add_trace_parsers", "read_trace", "trace_command", "write_trace"]

ParserT = TypeVar("ParserT", bound=argparse.ArgumentParser)


def add_trace_parsers(commands: argparse._SubParsersAction[ParserT]) -> None:
    """Add ``trace diff`` to ``commands``."""
    trace = commands.add_parser(
        "trace",
        help="work with run traces (`plait run ... --trace FILE` writes one)",
        allow_abbrev=False,
    )
    actions = trace.add_subparsers(dest="trace_action", metavar="ACTION")
    compare = actions.add_parser(
        "diff",
        help="compare two traces node by node",
        description="Exit 0 when the traces are equal, 1 with a readable diff when not.",
        allow_abbrev=False,
    )
    compare.add_argument("before", metavar="A", help="a .json or .yaml trace file")
    compare.add_argument("after", metavar="B", help="a .json or .yaml trace file")


def read_trace(path: str) -> Trace:
    """The trace stored in ``path`` (JSON, or YAML by its suffix).

    Raises:
        CliError: code 2 when the file is missing or is not a trace.
    """
    from plait.engine import Trace

    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        raise CliError(f"trace file `{path}`: {error.strerror or error}") from None
    try:
        if file.suffix in (".yaml", ".yml"):
            return Trace.from_yaml(text, source=path)
        return Trace.from_json(text, source=path)
    except ValueError as error:
        raise CliError(f"`{path}` is not a plait trace: {error}") from None


def write_trace(trace: Trace, path: str) -> None:
    """Write ``trace`` to ``path``, as YAML for a .yaml/.yml suffix, else JSON."""
    file = Path(path)
    text = trace.to_yaml() if file.suffix in (".yaml", ".yml") else trace.to_json()
    file.write_text(text, encoding="utf-8")


def trace_command(args: argparse.Namespace) -> int:
    """``plait trace diff``: print the differences; exit 1 when there are some."""
    from plait.engine import diff

    if args.trace_action != "diff":
        raise CliError("missing ACTION: use `plait trace diff A B`")
    changes = diff(read_trace(args.before), read_trace(args.after))
    if not changes:
        print(f"the traces are equal ({args.before}, {args.after})")
        return 0
    print(changes.text)
    return RUN_FAILED
