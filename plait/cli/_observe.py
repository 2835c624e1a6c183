"""What watches a ``plait run``: the live table or log lines, JSON logs, OpenTelemetry.

``--progress``/``--no-progress`` force the live table on or off; by default it is shown
when stderr is a terminal (stdout may be a pipe: node prints then stay on stdout).
``--log-format json`` writes one JSON object per event to stderr instead. ``--otel
[ENDPOINT]`` sends spans and metrics to an OTLP/HTTP collector; setting
``OTEL_EXPORTER_OTLP_ENDPOINT`` does the same, as it does for any SDK-instrumented
program, and ``OTEL_SDK_DISABLED=true`` turns that off. An explicit ``--otel ENDPOINT``
wins over the variables.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, TextIO

from plait.cli._usage import CliError

if TYPE_CHECKING:
    from plait.engine import EventListener
    from plait.graphs import Graph
    from plait.nodes import PlaitConfig

__all__ = [
    "add_observability_options",
    "add_watching_options",
    "is_terminal",
    "observed",
    "wants_live_display",
]


def add_observability_options(parser: argparse.ArgumentParser) -> None:
    """``--trace`` and the options of ``add_watching_options`` (``plait run``'s)."""
    parser.add_argument(
        "--trace",
        metavar="FILE",
        default=None,
        help="write the run's canonical trace here (.json, or .yaml)",
    )
    add_watching_options(parser)


def add_watching_options(parser: argparse.ArgumentParser) -> None:
    """``--progress/--no-progress``, ``--log-format`` and ``--otel``: how a run going on
    is shown and recorded, the same for ``run``, ``resume`` and ``fork``."""
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show (or never show) the live table on stderr (default: when stderr is a terminal)",
    )
    parser.add_argument(
        "--log-format",
        choices=("text", "json"),
        default="text",
        help="progress as plain `plait: ...` lines (text, default) or one JSON object per "
        "event (json) on stderr, when the live table is not shown",
    )
    parser.add_argument(
        "--otel",
        metavar="ENDPOINT",
        nargs="?",
        const="",
        default=None,
        help="send spans and metrics to the OTLP/HTTP collector at ENDPOINT (default: "
        "OTEL_EXPORTER_OTLP_ENDPOINT, else http://localhost:4318)",
    )


def is_terminal(stream: TextIO) -> bool:
    """Whether ``stream`` is a terminal (``False`` for a replaced or closed stream)."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def wants_live_display(progress: bool | None, log_format: str) -> bool:
    """The live table: as asked, else when stderr is a terminal and logs are text."""
    if progress is not None:
        return progress
    return log_format == "text" and is_terminal(sys.stderr)


@contextmanager
def observed(
    graph: Graph[object], args: argparse.Namespace, config: PlaitConfig, run_id: str | None
) -> Iterator[tuple[EventListener, ...]]:
    """The listeners that show and record the run; leaving the block stops the display
    and flushes the telemetry.

    Raises:
        CliError: for ``--progress`` with ``--log-format json`` (both write stderr), or
            ``--otel`` without the ``otel`` extra.
    """
    progress: bool | None = args.progress
    log_format: str = args.log_format
    if progress and log_format == "json":
        raise CliError(
            "--progress and --log-format json both write to stderr: drop --progress to get "
            "JSON lines, or drop --log-format json to see the live table"
        )
    with ExitStack() as stack:
        listeners: list[EventListener] = []
        telemetry = _telemetry(stack, args.otel, config)
        if telemetry is not None:
            listeners.append(telemetry)
        if wants_live_display(progress, log_format):
            listeners.append(stack.enter_context(_live(graph, run_id, forced=bool(progress))))
        elif log_format == "json":
            listeners.append(stack.enter_context(_json_logs(config)))
        else:
            from plait.cli._log_lines import LogLines

            listeners.append(LogLines(graph, sys.stderr))
        yield tuple(listeners)


@contextmanager
def _live(graph: Graph[object], run_id: str | None, *, forced: bool) -> Iterator[EventListener]:
    from plait.cli._progress import live_progress

    # --progress draws even when stderr is not a terminal (a CI log that understands it).
    shared = is_terminal(sys.stdout) and is_terminal(sys.stderr)
    with live_progress(
        graph, run_id=run_id, redirect_stdout=shared, force_terminal=True if forced else None
    ) as table:
        yield table


@contextmanager
def _json_logs(config: PlaitConfig) -> Iterator[EventListener]:
    """Records of the ``plait`` logger as JSON lines on stderr, while the block runs."""
    from plait.engine.telemetry import JsonLogFormatter, StructuredLogs

    logger = logging.getLogger("plait")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLogFormatter())
    level, propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield StructuredLogs(secrets=config.secrets)
    finally:
        handler.flush()
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


@contextmanager
def _sdk_messages() -> Iterator[None]:
    """The OpenTelemetry SDK's complaints (a collector that does not answer) as
    ``plait: OpenTelemetry: ...`` lines on stderr, meanwhile."""
    logger = logging.getLogger("opentelemetry")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("plait: OpenTelemetry: %(message)s"))
    handler.setLevel(logging.WARNING)
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def _telemetry(stack: ExitStack, otel: str | None, config: PlaitConfig) -> EventListener | None:
    from plait.engine.telemetry import otlp_configured

    if otel is None and not otlp_configured(os.environ):
        return None
    try:
        from plait.engine.telemetry import OpenTelemetry, export_otlp

        stack.enter_context(_sdk_messages())
        providers = stack.enter_context(export_otlp(otel or None))
        return OpenTelemetry(
            tracer_provider=providers.tracer_provider,
            meter_provider=providers.meter_provider,
            content=config.telemetry.content,
            secrets=config.secrets,
        )
    except ImportError as error:
        if otel is None:  # asked for by the environment only: say so, run anyway
            print(f"plait: OTEL_EXPORTER_OTLP_ENDPOINT is set, but {error}", file=sys.stderr)
            return None
        raise CliError(f"--otel: {error}") from None
