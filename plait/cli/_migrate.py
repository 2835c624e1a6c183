"""``plait migrate``: bring a store's schema up to the version this plait writes."""

from __future__ import annotations

import argparse
from typing import Protocol, TypeVar, runtime_checkable

from plait.cli._settings import add_store_option, settings
from plait.cli._usage import RUN_FAILED, CliError

__all__ = ["add_migrate_parser", "migrate_command"]

ParserT = TypeVar("ParserT", bound=argparse.ArgumentParser)


@runtime_checkable
class _Migratable(Protocol):
    async def migrate(self) -> int: ...


def add_migrate_parser(commands: argparse._SubParsersAction[ParserT]) -> None:
    """Add ``migrate`` to ``commands``."""
    parser = commands.add_parser(
        "migrate",
        help="bring a store written by an older plait up to this plait's schema",
        description="Migrate the checkpoint store's schema in place to the version this "
        "plait writes (back the store up first). A store already current is left as it is.",
        allow_abbrev=False,
    )
    add_store_option(parser)


def migrate_command(args: argparse.Namespace) -> int:
    """Run ``plait migrate``."""
    import anyio

    from plait.engine import SCHEMA_VERSION, StoreError, open_store

    url = settings().store_url(args.store)
    try:
        store = open_store(url)
    except StoreError as error:
        raise CliError(str(error)) from None
    if not isinstance(store, _Migratable):
        print(f"{url}: nothing to migrate (this store keeps no schema)")
        return 0
    try:
        version = anyio.run(store.migrate)
    except StoreError as error:
        raise CliError(str(error), RUN_FAILED) from None
    print(f"{url}: schema version {version} (this plait writes {SCHEMA_VERSION})")
    return 0
