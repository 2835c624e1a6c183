"""``plait init [DIR]``: write a starter project that runs, and passes its own test, offline."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from plait.cli._init_templates import GRAPH_MODULE, SAMPLE_INPUTS, SNAPSHOT, TEMPLATES
from plait.cli._usage import RUN_FAILED, CliError

if TYPE_CHECKING:
    from plait.graphs import Graph

__all__ = ["add_init_parser", "init_command", "write_project"]

ParserT = TypeVar("ParserT", bound=argparse.ArgumentParser)

_GITIGNORE = ".gitignore"  # merged into, never overwritten: a project may have its own


def add_init_parser(commands: argparse._SubParsersAction[ParserT]) -> None:
    """Add ``init`` to ``commands``."""
    parser = commands.add_parser(
        "init",
        help="write a starter project: plait.yaml, a graph, a test with a trace snapshot",
        description="Write a starter project into DIR (default: the current directory): "
        "plait.yaml, a graph module (hello.py, an agent on the offline passthrough model), "
        "and a pytest test with its trace snapshot. It runs and passes its test with no "
        "API key. Existing files are never overwritten unless --force is given.",
        allow_abbrev=False,
    )
    parser.add_argument("directory", nargs="?", default=".", metavar="DIR")
    parser.add_argument("--force", action="store_true", help="overwrite files that exist")


def init_command(args: argparse.Namespace) -> int:
    """``plait init``: write the project and say what to do next; exit code 0."""
    directory = Path(args.directory)
    written = write_project(directory, force=args.force)
    for path in written:
        print(f"created {path}")
    where = "" if directory == Path(".") else f"cd {directory} && "
    inputs = '{"name": "Ada"}'
    print(f"next: {where}pytest && plait run {GRAPH_MODULE}:graph --input '{inputs}'")
    return 0


def write_project(directory: Path, *, force: bool = False) -> list[Path]:
    """Write the starter files and the trace snapshot into ``directory``; the paths written.

    An existing ``.gitignore`` gains the lines it lacks instead.

    Raises:
        CliError: code 2 when a file exists (and ``force`` is not set) or the directory
            cannot be written; code 1 when the starter graph does not run (a plait bug).
    """
    names = [name for name in (*TEMPLATES, SNAPSHOT) if name != _GITIGNORE]
    existing = [name for name in names if (directory / name).exists()]
    if existing and not force:
        more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
        raise CliError(
            f"{directory / existing[0]} already exists{more}: plait init does not overwrite "
            "files; choose an empty DIR, or pass --force to replace them"
        )
    written: list[Path] = []
    try:
        for name, text in TEMPLATES.items():
            path = directory / name
            if name == _GITIGNORE and path.exists():
                _add_missing_lines(path, text)
            else:
                written.append(_write(path, text))
        snapshot = _snapshot(directory / f"{GRAPH_MODULE}.py")
        written.append(_write(directory / SNAPSHOT, snapshot))
    except OSError as error:
        raise CliError(f"cannot write the project into {directory}: {error}") from None
    return written


def _add_missing_lines(path: Path, text: str) -> None:
    """Append the lines of ``text`` that ``path`` lacks (a project's own ``.gitignore``)."""
    present = path.read_text(encoding="utf-8")
    missing = [line for line in text.splitlines() if line not in present.splitlines()]
    if missing:
        separator = "" if not present or present.endswith("\n") else "\n"
        path.write_text(present + separator + "\n".join(missing) + "\n", encoding="utf-8")


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _snapshot(module_file: Path) -> str:
    """The trace the project's snapshot test expects, made by running the written graph
    the way the ``plait_trace`` fixture does (manual clock, seed 0, default redaction)."""
    from plait.engine import ManualClock, Redaction, RunOptions, trace_sync

    graph = _starter_graph(module_file)
    options = RunOptions(clock=ManualClock(), seed=0)
    result, trace = trace_sync(graph, SAMPLE_INPUTS, options=options, redaction=Redaction())
    if result.error is not None:
        raise CliError(f"the starter graph failed: {result.error}", RUN_FAILED)
    return trace.to_json()


def _starter_graph(module_file: Path) -> Graph[object]:
    """The ``graph`` of the starter module plait just wrote (its own template, not user
    data), loaded under a private name that is removed again afterwards."""
    from plait.graphs import Graph

    name = f"_plait_init_{GRAPH_MODULE}"
    spec = importlib.util.spec_from_file_location(name, module_file)
    if spec is None or spec.loader is None:  # pragma: no cover - a .py path always loads
        raise CliError(f"cannot load {module_file}", RUN_FAILED)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # pydantic resolves the models' annotations through it
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(name, None)
    graph = getattr(module, "graph", None)
    if not isinstance(graph, Graph):  # pragma: no cover - the template defines it
        raise CliError(f"{module_file} defines no graph", RUN_FAILED)
    return graph
