"""``plait resume``, ``plait runs``, ``plait runs show`` and ``plait fork``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar

from plait._settings import Settings, add_store_option, open_store, settings
from plait._spec_cli import add_import_option
from plait._target import load_graph
from plait._usage import RUN_FAILED, CliError

if TYPE_CHECKING:
    from plait.engine import RunResult, Store
    from plait.graphs import Graph

__all__ = ["add_durable_parsers", "durable_command"]

ParserT = TypeVar("ParserT", bound=argparse.ArgumentParser)
Report = Callable[["RunResult[object]"], int]


def add_durable_parsers(commands: argparse._SubParsersAction[ParserT]) -> None:
    """Add ``resume``, ``runs`` and ``fork`` to ``commands``."""
    resume = commands.add_parser(
        "resume",
        help="continue a failed, cancelled, crashed or waiting run",
        description="Continue RUN_ID from its committed outputs: nothing committed runs "
        "again. A waiting run takes its answers with --input {node: answer}. Exit codes "
        "as for `plait run` (3: still waiting).",
        allow_abbrev=False,
    )
    resume.add_argument("run_id", metavar="RUN_ID")
    _graph_options(resume)
    resume.add_argument(
        "-i",
        "--input",
        metavar="JSON",
        default=None,
        help='answers for a waiting run\'s questions: {"node": answer, ...}',
    )
    resume.add_argument(
        "--force", action="store_true", help="resume even though the graph has changed"
    )
    resume.add_argument("--json", action="store_true", help="print one JSON document")
    runs = commands.add_parser("runs", help="list stored runs, or show one", allow_abbrev=False)
    add_store_option(runs)
    runs.add_argument("--limit", type=int, default=20, help="how many runs to list")
    runs.add_argument("action", nargs="?", choices=("show",), help="show one run")
    runs.add_argument("run_id", nargs="?", metavar="RUN_ID")
    fork = commands.add_parser(
        "fork",
        help="start a new run from an old one's outputs",
        description="Start a new run from RUN_ID's committed outputs: everything downstream "
        "of --at, and of each --set node, runs again; --set gives a node a new output.",
        allow_abbrev=False,
    )
    fork.add_argument("run_id", metavar="RUN_ID")
    _graph_options(fork)
    fork.add_argument("--at", metavar="NODE", default=None, help="re-run from this node")
    fork.add_argument(
        "--set",
        metavar="NODE=JSON",
        action="append",
        default=[],
        dest="replace",
        help="replace NODE's output with this JSON value (repeatable)",
    )
    fork.add_argument("--json", action="store_true", help="print one JSON document")


def _graph_options(parser: argparse.ArgumentParser) -> None:
    add_store_option(parser)
    parser.add_argument(
        "--graph",
        metavar="TARGET",
        default=None,
        help="where the run's graph is defined (module:attribute or a spec); "
        "default: plait.yaml's graphs: entry for its name",
    )
    add_import_option(parser)


def durable_command(args: argparse.Namespace, report: Report) -> int:
    """Run ``resume``, ``runs`` or ``fork``; ``report`` prints a run's result."""
    import anyio

    config = settings()
    if args.command == "runs":
        return anyio.run(_runs, config, args)
    return anyio.run(_continue, config, args, report)


async def _with_store(url: str, work: Callable[[Store], Awaitable[int]]) -> int:
    store = await open_store(url)
    try:
        return await work(store)
    finally:
        await store.close()


async def _graph_of(config: Settings, args: argparse.Namespace, store: Store) -> Graph[object]:
    record = await store.get_run(args.run_id)
    if record is None:
        raise CliError(f"run {args.run_id} is not in store {config.store_url(args.store)}")
    target = config.graph_target(record.graph, args.graph, args.run_id)
    graph = load_graph(target, config.imports(args.imports))
    return config.configure_agents(graph, None)


async def _continue(config: Settings, args: argparse.Namespace, report: Report) -> int:
    from plait._catalogs import open_catalogs
    from plait._progress import LogLines
    from plait.engine import GraphChangedError, RunLockedError, StoreError, fork, resume
    from plait.nodes import RunError

    async def work(store: Store) -> int:
        graph = await _graph_of(config, args, store)
        async with open_catalogs(graph):  # the run shares its agents' SDK clients
            return await act(store, graph)

    async def act(store: Store, graph: Graph[object]) -> int:
        listeners = (LogLines(graph, sys.stderr),)
        try:
            if args.command == "resume":
                answers = _json_object(args.input, "--input") if args.input else None
                result = await resume(
                    graph,
                    args.run_id,
                    store=store,
                    answers=answers,
                    force=args.force,
                    listeners=listeners,
                )
            else:
                outputs = dict(_assignment(item) for item in args.replace)
                result = await fork(
                    graph,
                    args.run_id,
                    store=store,
                    at=args.at,
                    outputs=outputs,
                    listeners=listeners,
                )
        except (GraphChangedError, RunLockedError, StoreError) as error:
            raise CliError(str(error), RUN_FAILED) from None
        except (RunError, ValueError) as error:
            raise CliError(str(error)) from None
        return report(result)

    return await _with_store(config.store_url(args.store), work)


def _json_object(text: str, option: str) -> Mapping[str, object]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise CliError(f"{option} is not valid JSON: {error.msg}") from None
    if not isinstance(data, dict):
        raise CliError(f"{option} must be a JSON object of node: answer")
    return data


def _assignment(text: str) -> tuple[str, object]:
    name, equals, value = text.partition("=")
    if not equals or not name:
        raise CliError(f"--set {text!r}: expected NODE=JSON, e.g. --set score=0.9")
    try:
        return name, json.loads(value)
    except json.JSONDecodeError as error:
        raise CliError(f"--set {name}: the value is not valid JSON: {error.msg}") from None


def _when(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S")


async def _runs(config: Settings, args: argparse.Namespace) -> int:
    async def work(store: Store) -> int:
        if args.action == "show":
            if not args.run_id:
                raise CliError("plait runs show needs a RUN_ID")
            return await _show(store, args.run_id)
        if args.run_id:
            raise CliError(f"unexpected {args.run_id!r}: did you mean `plait runs show`?")
        records = await store.list_runs(args.limit)
        print(f"{'RUN':26}  {'GRAPH':16}  {'STATUS':9}  {'STARTED':19}  NODES DONE/TOTAL")
        for record in records:
            done = len(await store.outputs(record.run_id))
            total = len(json.loads(record.canonical).get("nodes", []))
            print(
                f"{record.run_id:26}  {record.graph[:16]:16}  {record.status.value:9}  "
                f"{_when(record.created_at)}  {done}/{total}"
            )
        if not records:
            print("(no runs)")
        return 0

    return await _with_store(config.store_url(args.store), work)


async def _show(store: Store, run_id: str) -> int:
    record = await store.get_run(run_id)
    if record is None:
        raise CliError(f"run {run_id} is not in the store")
    outputs = await store.outputs(run_id)
    failures: dict[str, list[str]] = {}
    for failure in await store.failures(run_id):
        failures.setdefault(failure.node, []).append(f"{failure.error_type}: {failure.message}")
    questions = {item.node: item for item in await store.interrupts(run_id)}
    print(f"run {run_id}  graph {record.graph}  status {record.status.value}")
    if record.parent_run:
        print(f"forked from {record.parent_run}")
    if record.error:
        print(f"error: {record.error}")
    for entry in json.loads(record.canonical).get("nodes", []):
        name = str(entry["id"])
        if name in outputs:
            value = outputs[name].data.decode()
            shown = value if len(value) <= 60 else value[:57] + "..."
            line = f"  {name}: done (attempt {outputs[name].attempt}) -> {shown}"
        elif name in questions and questions[name].answer is None:
            line = f"  {name}: waiting -- {questions[name].question}"
        elif name in failures:
            line = f"  {name}: failed after {len(failures[name])}: {failures[name][-1]}"
        else:
            line = f"  {name}: not run"
        print(line)
    return 0
