"""The ``plait`` command: run a compiled graph from the shell, check and describe specs.

    plait run examples.digest:graph --input '{"topic": "owls"}'
    plait run examples.digest:graph --input @inputs.json --json
    plait run examples/digest.json --import examples.digest --input '{"topic": "owls"}'
    plait validate examples/digest.json --import examples.digest
    plait schema

    plait resume RUN_ID --input '{"approve": {"approved": true}}'
    plait runs; plait runs show RUN_ID; plait fork RUN_ID --at NODE --set node=JSON
    plait trace diff before.trace.json after.trace.json
    plait config; plait init my-project

Exit codes: 0 the run succeeded (the spec is valid); 1 the run failed, or the graph (or a
node, or a spec) is defined wrongly; 2 a usage error (bad target, module or attribute not
found, a module that raises on import or a factory that raises, not a graph, bad
``--input``, an unwritable ``--trace`` file); 3 the run waits for input (its questions and
the ``plait resume`` line to answer them go to stderr); 130 interrupted by Ctrl-C or
SIGTERM (the run is recorded cancelled; the line to resume it goes to stderr); 141 stdout
was closed early (``plait runs | head``), quietly. Every error is one ``plait: error: ...``
line on stderr (an invalid graph or spec adds its list of problems).

rich is imported only when the live display is shown (stderr is a terminal, or
``--progress``); otherwise progress is one plain log line per event on stderr, or a JSON
object per event with ``--log-format json``. ``--otel`` sends spans to an OTLP collector.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from plait.engine import EventListener, ResultCache, RunOptions, RunResult, RunWaitingError
    from plait.graphs import Graph

from plait.cli._cache import add_cache_options, add_cache_parser, cache_command, opened_cache
from plait.cli._config import add_config_parser, config_command
from plait.cli._durable import add_durable_parsers, durable_command
from plait.cli._executor import add_executor_option, placed_options
from plait.cli._graph_name import add_target_argument, named_graph
from plait.cli._hints import ResumeHint, answer_shape
from plait.cli._init import add_init_parser, init_command
from plait.cli._inputs import inputs_problem, parse_inputs
from plait.cli._masking import masked_output
from plait.cli._mcp import add_mcp_parser, mcp_command
from plait.cli._migrate import add_migrate_parser, migrate_command
from plait.cli._observe import add_observability_options, observed
from plait.cli._render import add_render_parser, render_command
from plait.cli._settings import add_store_option, open_store, settings
from plait.cli._signals import terminate_as_interrupt
from plait.cli._spec import add_spec_parsers, schema_command, validate_command
from plait.cli._trace import add_trace_parsers, check_trace_path, trace_command, write_trace
from plait.cli._usage import (
    INTERRUPTED,
    RUN_FAILED,
    CliError,
    positive_int,
    positive_seconds,
)

__all__ = ["main"]

PROG = "plait"
DESCRIPTION = "plait: a typed graph workflow engine for LLM agents."
WAITING = 3
CLOSED_PIPE = 141
"""128 + SIGPIPE: what a shell shows for a command whose reader went away."""


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors as one ``plait: error: ...`` line and exit code 2."""

    def error(self, message: str) -> NoReturn:
        raise CliError(f"{message} (see `{self.prog} --help`)")


def _parser() -> _Parser:
    from plait import __version__

    parser = _Parser(prog=PROG, description=DESCRIPTION, allow_abbrev=False)
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = commands.add_parser(
        "run",
        help="run a graph and print its output",
        description=(
            "Run the graph named by TARGET and print its output on stdout; progress goes "
            "to stderr. Exit code 0: succeeded; 1: the run failed or the graph is invalid; "
            "2: usage error."
        ),
        allow_abbrev=False,
    )
    add_target_argument(run)
    run.add_argument(
        "-i",
        "--input",
        metavar="JSON|@FILE",
        default="{}",
        help="the graph inputs as a JSON object, or @path to a file holding one (default: {})",
    )
    run.add_argument(
        "--json",
        action="store_true",
        help='print one JSON document {"run_id", "status", "output"[, "error"]} on stdout',
    )
    run.add_argument(
        "--max-concurrency",
        metavar="N",
        type=positive_int,
        default=None,
        help="at most N node attempts at once",
    )
    run.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=positive_seconds,
        default=None,
        help="fail the run when it takes longer than this",
    )
    add_store_option(run)
    run.add_argument(
        "--no-store",
        action="store_true",
        help="do not checkpoint the run (it cannot be resumed)",
    )
    run.add_argument(
        "--durability",
        choices=("sync", "async", "exit"),
        default="sync",
        help="commit each output before its dependents start (sync, default), in the "
        "background (async), or at the end (exit)",
    )
    run.add_argument(
        "--model",
        metavar="MODEL",
        default=None,
        help="run every agent node on this model (e.g. sonnet, openai.gpt-4.1, playback)",
    )
    add_observability_options(run)
    add_executor_option(run)
    add_cache_options(run)
    add_render_parser(commands)
    add_spec_parsers(commands)
    add_durable_parsers(commands)
    add_trace_parsers(commands)
    add_config_parser(commands)
    for add in (add_init_parser, add_migrate_parser, add_mcp_parser, add_cache_parser):
        add(commands)
    _add_ui_parser(commands)
    return parser


def _add_ui_parser(commands: argparse._SubParsersAction[_Parser]) -> None:
    from plait.ui._command import add_ui_parser

    add_ui_parser(commands)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``plait`` command with ``argv`` (default: ``sys.argv[1:]``); the exit code."""
    try:
        with terminate_as_interrupt(), masked_output():
            code = _command(argv)
        sys.stdout.flush()
    except BrokenPipeError:
        _discard_stdout()
        return CLOSED_PIPE
    except KeyboardInterrupt:
        _error("interrupted")
        return INTERRUPTED
    return code


def _discard_stdout() -> None:
    """Point stdout at the null device, so that flushing it at exit raises nothing."""
    import os

    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError, AttributeError):  # a replaced stdout (tests): nothing to do
        pass


def _command(argv: Sequence[str] | None) -> int:
    parser = _parser()
    try:
        try:
            args = parser.parse_args(argv)
        except SystemExit as done:  # --help and --version
            return done.code if isinstance(done.code, int) else 0
        if args.command is None:
            raise CliError("missing COMMAND: use `plait run TARGET` (see `plait --help`)")
        if args.command == "render":
            return render_command(args)
        if args.command == "validate":
            return validate_command(args)
        if args.command == "schema":
            return schema_command(args)
        if args.command in ("resume", "fork", "runs"):
            as_json = getattr(args, "json", False)
            return durable_command(
                args, lambda result, hint: _report(result, as_json=as_json, hint=hint)
            )
        if args.command == "trace":
            return trace_command(args)
        if args.command == "config":
            return config_command(args)
        if args.command == "init":
            return init_command(args)
        if args.command == "migrate":
            return migrate_command(args)
        if args.command == "ui":
            from plait.ui._command import ui_command

            return ui_command(args)
        if args.command == "mcp":
            return mcp_command(args)
        if args.command == "cache":
            return cache_command(args)
        return _run_command(args)
    except CliError as error:
        _error(error.message)
        return error.code


def _error(message: str) -> None:
    print(f"{PROG}: error: {message}", file=sys.stderr, flush=True)


def _run_command(args: argparse.Namespace) -> int:
    from plait.engine import RunOptions, new_run_id, run_secrets
    from plait.nodes import ConfigError, InputError
    from plait.nodes.mcp import MCPServerError

    config = settings()
    as_json: bool = args.json
    if args.trace is not None:
        check_trace_path(args.trace)
    graph = named_graph(args.target, args.imports, config)
    graph = config.configure_agents(graph, args.model)
    inputs = parse_inputs(args.input, graph)
    secrets = run_secrets(graph, config.config.secrets)  # MCP servers declared in Python too
    options = RunOptions(
        max_concurrency=args.max_concurrency,
        timeout=args.timeout,
        run_id=new_run_id(),
        durability=args.durability,
        secrets=secrets,
    )
    store = None if args.no_store else config.store_url(args.store)
    hint = (
        None if args.no_store else ResumeHint(args.target, args.store, args.imports, args.executor)
    )
    try:
        with observed(graph, args, config.config, options.run_id) as listeners:
            caching = opened_cache(args, config, graph)
            result = _execute(
                graph,
                inputs,
                options,
                listeners,
                store=store,
                trace=args.trace,
                caching=caching,
                executor=args.executor,
            )
    except InputError as error:  # the engine's one input check, before the run is recorded
        raise CliError(inputs_problem(args.input, graph, error)) from None
    except (ConfigError, MCPServerError) as error:  # MCP servers, checked before any model call
        problems = error.problems if isinstance(error, ConfigError) else (str(error),)
        raise CliError(secrets.mask("; ".join(problems))) from None
    except KeyboardInterrupt:
        run_id = options.run_id or ""
        if as_json:
            _print_document(run_id, "cancelled", None, f"run {run_id} was interrupted")
        if hint is None:
            _error(f"run {run_id} was interrupted (it was not stored: --no-store)")
        else:
            _error(f"run {run_id} was interrupted; resume with: {hint.command(run_id)}")
        return INTERRUPTED
    with masked_output(secrets):  # the run's secrets: beyond the configuration's
        return _report(result, as_json=as_json, hint=hint)


def _execute(
    graph: Graph[object],
    inputs: Mapping[str, object],
    options: RunOptions,
    watchers: tuple[EventListener, ...],
    *,
    store: str | None,
    trace: str | None,
    caching: AbstractAsyncContextManager[ResultCache | None],
    executor: str | None = None,
) -> RunResult[object]:
    import anyio

    from plait.engine import Redaction, StoreError, TraceRecorder, run

    known = options.secrets.reveal() if options.secrets is not None else ()
    redaction = Redaction().extended(values=known)
    recorder = TraceRecorder(graph, redaction=redaction) if trace is not None else None

    async def go() -> RunResult[object]:
        async with caching as cache:
            return await go_cached(dataclasses.replace(options, cache=cache))

    async def go_cached(options: RunOptions) -> RunResult[object]:
        listeners: tuple[EventListener, ...] = watchers
        if recorder is not None:
            listeners = (*watchers, recorder)
        async with placed_options(options, executor) as placed:
            if store is None:
                return await run(graph, inputs, options=placed, listeners=listeners)
            opened = await open_store(store)
            try:
                durable = dataclasses.replace(placed, store=opened)
                return await run(graph, inputs, options=durable, listeners=listeners)
            finally:
                await opened.close()

    try:
        result = anyio.run(go)
    except StoreError as error:  # the store failed mid-run: the run is recorded failed
        raise CliError(str(error), RUN_FAILED) from None
    if recorder is not None and trace is not None:
        write_trace(recorder.trace(), trace)
    return result


def _waiting(run_id: str, error: RunWaitingError, *, as_json: bool, hint: ResumeHint | None) -> int:
    """Say what a waiting run asks and how to answer; exit code 3."""
    if as_json:
        questions = [
            {"node": item.node, "question": item.question, "schema": item.schema}
            for item in error.questions
        ]
        print(json.dumps({"run_id": run_id, "status": "waiting", "questions": questions}))
    for item in error.questions:
        print(f"{PROG}: run {run_id} waits: {item.node}: {item.question}", file=sys.stderr)
    if hint is None:
        _error(f"run {run_id} cannot be answered: it was not stored (run it without --no-store)")
        return WAITING
    shapes = {item.node: answer_shape(item.schema) for item in error.questions}
    print(f"{PROG}: answer with: {hint.command(run_id, shapes)}", file=sys.stderr, flush=True)
    return WAITING


def _print_document(run_id: str, status: str, output: object, error: str | None) -> None:
    document: dict[str, object] = {"run_id": run_id, "status": status, "output": output}
    if error is not None:
        document["error"] = error
    print(json.dumps(document), flush=True)


def _report(result: RunResult[object], *, as_json: bool, hint: ResumeHint | None) -> int:
    from plait.engine import RunWaitingError
    from plait.nodes import to_jsonable

    if isinstance(result.error, RunWaitingError):
        return _waiting(result.run_id, result.error, as_json=as_json, hint=hint)

    succeeded = result.error is None
    output = result.output if succeeded else None
    if as_json:
        message = None if result.error is None else str(result.error)
        _print_document(result.run_id, result.status.value, to_jsonable(output), message)
    elif succeeded:
        if isinstance(output, str):
            text = output
        else:
            text = json.dumps(to_jsonable(output), indent=2, ensure_ascii=False)
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()
    if result.error is not None:
        _error(str(result.error))
        return RUN_FAILED
    return 0
