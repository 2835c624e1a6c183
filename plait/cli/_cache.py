"""``--cache``/``--no-cache`` on ``run`` and ``resume``, and ``plait cache clear``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, TypeVar

from plait.cli._settings import Settings, settings
from plait.cli._usage import RUN_FAILED, CliError

if TYPE_CHECKING:
    from plait.engine import ResultCache
    from plait.graphs import Graph

__all__ = ["add_cache_options", "add_cache_parser", "cache_command", "opened_cache"]

ParserT = TypeVar("ParserT", bound=argparse.ArgumentParser)


def add_cache_options(parser: argparse.ArgumentParser) -> None:
    """``--cache URL`` and ``--no-cache``."""
    parser.add_argument(
        "--cache",
        metavar="URL",
        default=None,
        help="where nodes with a cache policy keep their outputs across runs: "
        "sqlite:///file.db, postgresql://..., memory:// (default: the store's URL)",
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="run every node: neither read nor write the result cache",
    )


def _cache_url(args: argparse.Namespace, config: Settings) -> str:
    return str(args.cache or config.store_url(getattr(args, "store", None)))


@asynccontextmanager
async def opened_cache(
    args: argparse.Namespace, config: Settings, graph: Graph[object]
) -> AsyncIterator[ResultCache | None]:
    """The run's result cache, open for the block; ``None`` with ``--no-cache`` or when
    no node of ``graph`` has a cache policy. A cache that cannot be opened is a warning:
    the run goes on without it.

    Raises:
        CliError: code 2 when ``--cache`` names no cache backend.
    """
    from plait.engine import StoreError, open_cache, uses_cache

    if args.no_cache or not uses_cache(graph):
        yield None
        return
    try:
        cache = open_cache(_cache_url(args, config))
    except StoreError as error:
        raise CliError(f"--cache: {error}") from None
    try:
        await cache.open()
    except StoreError as error:
        print(f"plait: warning: {error}; running without the cache", file=sys.stderr)
        yield None
        return
    try:
        yield cache
    finally:
        await cache.close()


def add_cache_parser(commands: argparse._SubParsersAction[ParserT]) -> None:
    """``plait cache clear [--graph NAME]``."""
    from plait.cli._settings import add_store_option

    cache = commands.add_parser(
        "cache",
        help="manage the result cache",
        description="The result cache keeps outputs of nodes with a cache policy across runs.",
        allow_abbrev=False,
    )
    actions = cache.add_subparsers(dest="cache_command", metavar="ACTION", required=True)
    clear = actions.add_parser(
        "clear",
        help="remove cached outputs",
        description="Remove every cached output, or those of one graph.",
        allow_abbrev=False,
    )
    clear.add_argument("--graph", metavar="NAME", default=None, help="only this graph's")
    add_store_option(clear)
    clear.add_argument(
        "--cache", metavar="URL", default=None, help="the cache (default: the store's URL)"
    )


def cache_command(args: argparse.Namespace) -> int:
    """``plait cache clear``: print how many outputs were removed."""
    import anyio

    from plait.engine import StoreError, open_cache

    config = settings()
    url = _cache_url(args, config)
    try:
        cache = open_cache(url)
    except StoreError as error:
        raise CliError(f"--cache: {error}") from None

    async def clear() -> int:
        await cache.open()
        try:
            return await cache.clear(args.graph)
        finally:
            await cache.close()

    try:
        removed = anyio.run(clear)
    except StoreError as error:
        raise CliError(str(error), RUN_FAILED) from None
    which = "" if args.graph is None else f" of graph `{args.graph}`"
    plural = "" if removed == 1 else "s"
    print(f"removed {removed} cached output{plural}{which}")
    return 0
