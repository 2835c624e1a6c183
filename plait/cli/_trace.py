"""``plait trace RUN_ID`` prints a stored run's trace; ``plait trace diff A B`` compares two."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from plait.cli._graph_name import add_graph_option, named_graph
from plait.cli._settings import add_store_option, open_store, settings
from plait.cli._usage import RUN_FAILED, CliError, checked_run_id

if TYPE_CHECKING:
    from plait.engine import Trace

__all__ = [
    "add_trace_parsers",
    "check_trace_path",
    "read_trace",
    "trace_command",
    "write_trace",
]

ParserT = TypeVar("ParserT", bound=argparse.ArgumentParser)


def add_trace_parsers(commands: argparse._SubParsersAction[ParserT]) -> None:
    """Add ``trace`` (``trace RUN_ID`` and ``trace diff A B``) to ``commands``."""
    trace = commands.add_parser(
        "trace",
        help="print a stored run's trace, or compare two traces",
        description="`plait trace RUN_ID` prints the trace of a stored run, rebuilt from its "
        "checkpoints (statuses, attempts and errors, inputs, outputs, questions; routing "
        "and LLM/tool calls are in live traces: `plait run ... --trace FILE`). "
        "`plait trace diff A B` compares two trace files node by node: exit 0 when equal, "
        "1 with a readable diff when not.",
        allow_abbrev=False,
    )
    trace.add_argument("items", nargs="+", metavar="RUN_ID | diff A B")
    add_store_option(trace)
    add_graph_option(trace)
    trace.add_argument(
        "--format", choices=("json", "yaml"), default="json", help="how to print the trace"
    )


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


def check_trace_path(path: str) -> None:
    """Refuse a ``--trace`` file that could not be written, before the run starts.

    Raises:
        CliError: code 2 when ``path`` is a directory, its directory is missing, or
            either is not writable.
    """
    file = Path(path)
    parent = file.parent
    if file.is_dir():
        problem = "it is a directory; expected a file such as run.trace.json"
    elif not parent.is_dir():
        missing = "is not a directory" if parent.exists() else "does not exist"
        problem = f"the directory `{parent}` {missing} (create it, or write the trace elsewhere)"
    elif not os.access(file if file.exists() else parent, os.W_OK):
        problem = "it cannot be written (permission denied); write the trace elsewhere"
    else:
        return
    raise CliError(f"--trace `{path}`: {problem}")


def trace_command(args: argparse.Namespace) -> int:
    """``plait trace RUN_ID`` or ``plait trace diff A B``."""
    items: list[str] = args.items
    if items[0] == "diff":
        if len(items) != 3:
            raise CliError("plait trace diff takes two trace files: plait trace diff A B")
        return _diff(items[1], items[2])
    if len(items) != 1:
        raise CliError("plait trace takes one RUN_ID (or: plait trace diff A B)")
    return _stored(args, checked_run_id(items[0]))


def _diff(before: str, after: str) -> int:
    from plait.engine import diff

    changes = diff(read_trace(before), read_trace(after))
    if not changes:
        print(f"the traces are equal ({before}, {after})")
        return 0
    print(changes.text)
    return RUN_FAILED


def _stored(args: argparse.Namespace, run_id: str) -> int:
    import anyio

    from plait.engine import CorruptRecordError, StoreError, stored_trace
    from plait.nodes import RunError

    config = settings()

    async def work() -> Trace:
        store = await open_store(config.store_url(args.store))
        try:
            loaded = await store.load(run_id)
            record = None if loaded is None else loaded.run
            if record is None:
                raise CliError(f"run {run_id} is not in store {config.store_url(args.store)}")
            target = config.graph_target(record.graph, args.graph, run_id)
            graph = named_graph(target, args.imports, config)
            return await stored_trace(graph, run_id, store)
        finally:
            await store.close()

    try:
        trace = anyio.run(work)
    except (CorruptRecordError, StoreError, RunError) as error:
        raise CliError(str(error), RUN_FAILED) from None
    sys.stdout.write(trace.to_yaml() if args.format == "yaml" else trace.to_json())
    return 0
