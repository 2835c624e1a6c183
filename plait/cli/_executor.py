"""``--executor dask://HOST:PORT`` (or ``dask://local``): where a run's node attempts go."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from plait.cli._usage import CliError

if TYPE_CHECKING:
    from plait.engine import RunOptions

__all__ = ["add_executor_option", "placed_options"]


def add_executor_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--executor`` to a command that runs a graph."""
    parser.add_argument(
        "--executor",
        metavar="URL",
        default=None,
        help="run the function nodes' attempts on a Dask cluster: dask://HOST:PORT, or "
        "dask://local for a 2-worker cluster on 127.0.0.1 for this run (needs plait[dask])",
    )


@contextlib.asynccontextmanager
async def placed_options(options: RunOptions, url: str | None) -> AsyncIterator[RunOptions]:
    """``options`` with the executor ``url`` names opened (as the run's default and as
    ``dask``), closed when the block ends; ``options`` as they are without one.

    Raises:
        CliError: code 2 when the URL is wrong, Dask is not installed, the scheduler does
            not answer, or a node cannot run there (before the run starts).
    """
    if url is None:
        yield options
        return
    from plait.engine.executors import ExecutorError, parse_executor
    from plait.nodes import DefinitionError

    try:
        executor = parse_executor(url)
    except ValueError as error:
        raise CliError(str(error)) from None
    try:
        async with executor:
            placed = dataclasses.replace(
                options, executor=executor, executors={**options.executors, "dask": executor}
            )
            try:
                yield placed
            except DefinitionError as error:  # refused before the run started
                raise CliError("; ".join(str(problem) for problem in error.problems)) from None
    except ExecutorError as error:
        raise CliError(str(error)) from None
