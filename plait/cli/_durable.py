"""``plait resume``, ``plait runs``, ``plait runs show`` and ``plait fork``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, TypeVar

from plait.cli._cache import add_cache_options, opened_cache
from plait.cli._executor import add_executor_option, placed_options
from plait.cli._graph_name import add_graph_option, named_graph
from plait.cli._hints import ResumeHint
from plait.cli._masking import masked_output
from plait.cli._observe import add_watching_options, observed
from plait.cli._runs import add_runs_parser, runs_command
from plait.cli._settings import Settings, add_store_option, open_store, settings
from plait.cli._usage import INTERRUPTED, RUN_FAILED, CliError, checked_run_id

if TYPE_CHECKING:
    from plait.engine import Event, EventListener, RunResult, Store
    from plait.graphs import Graph

__all__ = ["add_durable_parsers", "durable_command"]

ParserT = TypeVar("ParserT", bound=argparse.ArgumentParser)
Report = Callable[["RunResult[object]", ResumeHint], int]
"""Prints a run's result; the hint says how to resume it."""


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
    resume.add_argument("run_id", metavar="RUN_ID", type=_run_id)
    _graph_options(resume)
    resume.add_argument(
        "-i",
        "--input",
        metavar="JSON",
        default=None,
        help='answers for a waiting run\'s questions: {"node": answer, ...}',
    )
    resume.add_argument(
        "--force",
        action="store_true",
        help="resume even though the graph has changed, or another live process holds the "
        "run (it is named first; it stops at its next write)",
    )
    resume.add_argument(
        "--fresh",
        metavar="NODE",
        action="append",
        default=[],
        help="forget NODE's journaled LLM and tool calls and start it over (repeatable)",
    )
    resume.add_argument("--json", action="store_true", help="print one JSON document")
    add_executor_option(resume)
    add_watching_options(resume)
    add_cache_options(resume)
    add_runs_parser(commands)
    fork = commands.add_parser(
        "fork",
        help="start a new run from an old one's outputs",
        description="Start a new run from RUN_ID's committed outputs: everything downstream "
        "of --at, and of each --set node, runs again; --set gives a node a new output.",
        allow_abbrev=False,
    )
    fork.add_argument("run_id", metavar="RUN_ID", type=_run_id)
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
    add_executor_option(fork)
    add_watching_options(fork)


def _run_id(text: str) -> str:
    try:
        return checked_run_id(text)
    except CliError as error:
        raise argparse.ArgumentTypeError(error.message) from None


def _graph_options(parser: argparse.ArgumentParser) -> None:
    add_store_option(parser)
    add_graph_option(parser)


def durable_command(args: argparse.Namespace, report: Report) -> int:
    """Run ``resume``, ``runs`` or ``fork``; ``report`` prints a run's result."""
    import anyio

    if args.command == "runs":
        return runs_command(args)
    config = settings()
    going = _Going()
    try:
        return anyio.run(_continue, config, args, report, going)
    except KeyboardInterrupt:
        if going.hint is None or going.run_id is None:
            raise CliError("interrupted before the run started", INTERRUPTED) from None
        hint = going.hint.command(going.run_id)
        message = f"run {going.run_id} was interrupted; resume with: {hint}"
        raise CliError(message, INTERRUPTED) from None


class _Going:
    """The run a command is running, for the hint printed when it is interrupted."""

    tokens = False

    def __init__(self) -> None:
        self.hint: ResumeHint | None = None
        self.run_id: str | None = None

    def __call__(self, event: Event) -> None:
        from plait.engine import RunStarted

        if isinstance(event, RunStarted):
            self.run_id = event.run_id


async def _with_store(url: str, work: Callable[[Store], Awaitable[int]]) -> int:
    store = await open_store(url)
    try:
        return await work(store)
    finally:
        await store.close()


async def _graph_of(
    config: Settings, args: argparse.Namespace, store: Store
) -> tuple[Graph[object], ResumeHint]:
    stored = await store.load(args.run_id)
    if stored is None:
        raise CliError(f"run {args.run_id} is not in store {config.store_url(args.store)}")
    target = config.graph_target(stored.run.graph, args.graph, args.run_id)
    graph = named_graph(target, args.imports, config)
    hint = ResumeHint(target, args.store, args.imports, args.executor)
    return config.configure_agents(graph, None), hint


async def _continue(
    config: Settings, args: argparse.Namespace, report: Report, going: _Going
) -> int:
    from plait.engine import (
        GraphChangedError,
        RunLockedError,
        RunOptions,
        StoreError,
        fork,
        resume,
        run_secrets,
    )
    from plait.nodes import RunError

    async def work(store: Store) -> int:
        graph, hint = await _graph_of(config, args, store)
        going.hint = hint
        return await act(store, graph, hint)

    async def act(store: Store, graph: Graph[object], hint: ResumeHint) -> int:
        run_id = args.run_id if args.command == "resume" else None
        with observed(graph, args, config.config, run_id) as watchers:
            return await go(store, graph, hint, (*watchers, going))

    async def go(
        store: Store, graph: Graph[object], hint: ResumeHint, listeners: tuple[EventListener, ...]
    ) -> int:
        secrets = run_secrets(graph, config.config.secrets)  # MCP servers declared in Python
        start = RunOptions(secrets=secrets)
        try:
            if args.command == "resume":
                answers = _json_object(args.input, "--input") if args.input else None
                if args.force:
                    await _say_who_holds(store, args.run_id)
                async with (
                    opened_cache(args, config, graph) as cache,
                    placed_options(replace(start, cache=cache), args.executor) as options,
                ):
                    result = await resume(
                        graph,
                        args.run_id,
                        store=store,
                        answers=answers,
                        force=args.force,
                        take_over=args.force,
                        fresh=args.fresh,
                        listeners=listeners,
                        options=options,
                    )
            else:
                outputs = dict(_assignment(item) for item in args.replace)
                async with placed_options(start, args.executor) as options:
                    result = await fork(
                        graph,
                        args.run_id,
                        store=store,
                        at=args.at,
                        outputs=outputs,
                        listeners=listeners,
                        options=options,
                    )
        except (GraphChangedError, RunLockedError, StoreError) as error:
            raise CliError(secrets.mask(str(error)), RUN_FAILED) from None
        except (RunError, ValueError) as error:
            raise CliError(secrets.mask(str(error))) from None
        with masked_output(secrets):  # the run's secrets: beyond the configuration's
            return report(result, hint)

    return await _with_store(config.store_url(args.store), work)


async def _say_who_holds(store: Store, run_id: str) -> None:
    """Before ``--force`` takes a run from a live process: one line naming it."""
    import time
    from datetime import UTC, datetime

    from plait.engine import live_holder

    lease = (await store.leases([run_id])).get(run_id)
    holder = live_holder(lease, time.time())
    if lease is not None and holder is not None:
        until = datetime.fromtimestamp(lease.expires_at, UTC).strftime("%H:%M:%S UTC")
        print(
            f"plait: run {run_id} is held by {holder} (lease until {until}); taking it over "
            "(--force): that process stops at its next write",
            file=sys.stderr,
            flush=True,
        )


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
