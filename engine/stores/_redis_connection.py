"""The Redis store's connection: redis-py's asyncio client, pooled; the only home of redis.

redis is imported when a store opens, never when plait loads, and its errors become
``StoreError``s here. redis-py's asyncio client runs on asyncio only.
"""

from __future__ import annotations

import asyncio
import urllib.parse
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

from plait.engine.stores import _redis_scripts as scripts
from plait.engine.stores._checks import check_schema, migration_steps
from plait.engine.stores._protocol import SCHEMA_VERSION, StoreError

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.asyncio.client import Pipeline
    from redis.commands.core import AsyncScript

__all__ = ["WATCH_RETRIES", "Prepare", "RedisConnection", "describe", "translate"]

T = TypeVar("T")

Prepare = Callable[["Pipeline"], Awaitable[tuple[Sequence[str], Sequence[object]]]]
"""Reads what a script's arguments depend on (the pipeline is WATCHing its keys) and
answers the script's keys and arguments."""

WATCH_RETRIES = 1000
"""How many times a watched script is retried when another commit changed a watched key."""

_EXTRA = "install Redis support with `pip install 'plait[redis]'`"

_SCRIPTS = {name: getattr(scripts, name) for name in scripts.__all__}
"""Every script by name, registered (by its SHA-1) when the store opens."""


class RedisConnection:
    """A pool of up to ``max_connections`` connections to one Redis database.

    ``timeout`` bounds connecting and each command. Every redis error becomes a
    ``StoreError`` naming the server (without its password) and what was being done.
    ``schema_key`` holds the schema version a store checks on open (None: no schema, as
    for the result cache).
    """

    def __init__(
        self, url: str, *, schema_key: str | None, max_connections: int, timeout: float
    ) -> None:
        self.url = url
        self.schema_key = schema_key
        self.max_connections = max_connections
        self.timeout = timeout
        self.where = f"Redis store {describe(url)}"
        self._client: Redis | None = None
        self._scripts: dict[str, AsyncScript] = {}

    async def open(self) -> None:
        """Connect, then create or check the schema version.

        Raises:
            StoreError: when redis is not installed, the loop is not asyncio, the server
                cannot be reached, or the schema is not ``SCHEMA_VERSION``.
        """
        if self._client is not None:
            return
        client = self._connect()
        key = self.schema_key
        try:
            if key is None:
                await self._guarded(client.ping, "open")
            else:
                found = await self._guarded(lambda: _create_or_read(client, key), "open")
                check_schema(found, self.where)
        except BaseException:
            await client.aclose()
            raise
        self._client = client
        self._scripts = {name: client.register_script(text) for name, text in _SCRIPTS.items()}

    async def close(self) -> None:
        """Close the pool's connections; ``open()`` works again."""
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def migrate(self) -> int:
        """Record ``SCHEMA_VERSION`` in a new database, or check that no step is needed.

        Raises:
            StoreError: when the stored version is newer, or no migration leads from it.
        """
        client = self._client or self._connect()
        key = self.schema_key
        try:

            async def run() -> int:
                if key is None:
                    return SCHEMA_VERSION
                found = await _create_or_read(client, key)
                migration_steps({}, found, self.where)  # none yet: Redis began at version 5
                await client.set(key, str(SCHEMA_VERSION))
                return SCHEMA_VERSION

            return await self._guarded(run, "migrate the schema")
        finally:
            if client is not self._client:
                await client.aclose()

    async def script(
        self, name: str, keys: Sequence[str], args: Sequence[object], doing: str
    ) -> list[object]:
        """Run script ``name`` (see ``_redis_scripts``); its answer as a list.

        Raises:
            StoreError: when the store is not open, or redis fails.
        """
        script = self._scripts.get(name)
        if script is None:
            raise StoreError(f"{self.where}: cannot {doing}: the store is not open")
        arguments = [_argument(value) for value in args]
        found = await self._guarded(lambda: script(keys=keys, args=arguments), doing)
        return list(found) if isinstance(found, list) else []

    async def watched_script(
        self, name: str, watch: Sequence[str], prepare: Prepare, doing: str
    ) -> list[object]:
        """Run script ``name`` with the keys and arguments ``prepare`` computes from what it
        reads while ``watch`` is WATCHed; in MULTI/EXEC, so the script runs only when no
        watched key changed since the read, else all of it is retried.

        Raises:
            StoreError: when the store is not open, redis fails, or the keys kept changing
                (``WATCH_RETRIES`` times).
        """
        from redis.exceptions import WatchError

        script = self._scripts.get(name)

        async def run(client: Redis) -> list[object]:
            assert script is not None
            for _ in range(WATCH_RETRIES):
                async with client.pipeline(transaction=True) as pipe:
                    try:
                        await pipe.watch(*watch)
                        keys, args = await prepare(pipe)
                        pipe.multi()  # type: ignore[no-untyped-call]
                        arguments = [_argument(value) for value in args]
                        await script(keys=keys, args=arguments, client=pipe)
                        (found,) = await pipe.execute()
                    except WatchError:
                        continue  # another commit wrote a watched key: read it again
                return list(found) if isinstance(found, list) else []
            raise StoreError(
                f"{self.where}: cannot {doing}: the keys it updates changed under each of "
                f"{WATCH_RETRIES} tries"
            )

        if script is None:
            raise StoreError(f"{self.where}: cannot {doing}: the store is not open")
        return await self.call(run, doing)

    async def call(self, function: Callable[[Redis], Awaitable[T]], doing: str) -> T:
        """``function`` on the client.

        Raises:
            StoreError: when the store is not open, or redis fails.
        """
        client = self._client
        if client is None:
            raise StoreError(f"{self.where}: cannot {doing}: the store is not open")
        return await self._guarded(lambda: function(client), doing)

    def _connect(self) -> Redis:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            raise StoreError(
                f"{self.where}: redis-py's async client runs on asyncio only; run plait "
                "with the asyncio backend, or use an SQLite store"
            ) from None
        try:
            from redis.asyncio import BlockingConnectionPool, Redis
        except ImportError as error:
            raise StoreError(f"{self.where} needs redis: {_EXTRA}") from error
        try:  # a blocking pool: a caller waits (``timeout``) for a free connection
            pool = BlockingConnectionPool.from_url(
                self.url,
                max_connections=self.max_connections,
                timeout=self.timeout,
                socket_timeout=self.timeout,
                socket_connect_timeout=self.timeout,
            )
        except (ValueError, TypeError) as error:
            raise StoreError(f"{self.where}: the URL is not one redis-py reads: {error}") from None
        return Redis.from_pool(pool)

    async def _guarded(self, action: Callable[[], Awaitable[T]], doing: str) -> T:
        from redis.exceptions import RedisError

        try:
            return await action()
        except RedisError as error:
            raise translate(error, self.where, doing) from error


async def _create_or_read(client: Redis, key: str) -> int:
    """The stored schema version, after recording ``SCHEMA_VERSION`` in a new database."""
    await client.set(key, str(SCHEMA_VERSION), nx=True)
    found = await client.get(key)
    try:
        return int(found or b"")
    except ValueError:
        message = f"the schema version stored at `{key}` is {found!r}, not a number"
        raise StoreError(message) from None


def _argument(value: object) -> str | bytes:
    if isinstance(value, bytes | str):
        return value
    if isinstance(value, float):
        return repr(value)  # exact: Redis and Lua read it back as the same double
    return str(value)


def translate(error: Exception, where: str, doing: str) -> StoreError:
    """The ``StoreError`` for a redis error, naming what failed."""
    from redis import exceptions

    detail = str(error).strip() or type(error).__name__
    if isinstance(error, exceptions.AuthenticationError | exceptions.AuthorizationError):
        reason = f"the server refused the credentials: {detail}"
    elif isinstance(error, exceptions.TimeoutError):
        reason = f"the server did not answer in time: {detail}"
    elif isinstance(error, exceptions.ConnectionError):
        reason = f"the server is unreachable or closed the connection: {detail}"
    elif isinstance(error, exceptions.ReadOnlyError):
        reason = f"the server is a read-only replica: point the URL at the primary ({detail})"
    elif isinstance(error, exceptions.OutOfMemoryError):
        reason = f"the server is out of memory (maxmemory): {detail}"
    elif isinstance(error, exceptions.BusyLoadingError):
        reason = f"the server is still loading its data: {detail}"
    else:
        reason = f"{type(error).__name__}: {detail}"
    return StoreError(f"{where}: cannot {doing}: {reason}")


def describe(url: str) -> str:
    """``url`` without its password or query, to name the store in messages."""
    parts = urllib.parse.urlsplit(url)
    host = parts.netloc.rpartition("@")[2] or "localhost"
    user = f"{parts.username}@" if parts.username else ""
    return f"{parts.scheme}://{user}{host}{parts.path}"
