"""The PostgreSQL store's connections: psycopg 3, async, pooled; the only home of psycopg.

psycopg and psycopg_pool are imported when a store opens, never when plait loads, and
their errors become ``StoreError``s here. psycopg's async driver runs on asyncio only.
"""

from __future__ import annotations

import asyncio
import re
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from plait.engine.stores import _postgres_schema as schema
from plait.engine.stores._protocol import StoreError

if TYPE_CHECKING:
    from psycopg import AsyncConnection
    from psycopg_pool import AsyncConnectionPool

    Connection = AsyncConnection[tuple[Any, ...]]

__all__ = ["PostgresConnection", "describe", "is_foreign_key_violation", "translate"]

T = TypeVar("T")

_EXTRA = "install PostgreSQL support with `pip install 'plait[postgres]'`"


class PostgresConnection:
    """A pool of ``min_size`` to ``max_size`` connections to one database.

    ``timeout`` bounds connecting and waiting for a free connection. Every psycopg error
    becomes a ``StoreError`` naming the database (without its password) and what was
    being done.
    """

    def __init__(
        self,
        conninfo: str,
        *,
        min_size: int,
        max_size: int,
        timeout: float,
        prepare: Callable[[Connection, str], Awaitable[None]] | None = None,
    ) -> None:
        self.conninfo = conninfo
        self.prepare = schema.create_or_check if prepare is None else prepare
        """Run once on open (default: the store's schema; the result cache has its own)."""
        self.min_size = min_size
        self.max_size = max_size
        self.timeout = timeout
        self.where = f"PostgreSQL store {describe(conninfo)}"
        self._pool: AsyncConnectionPool[Connection] | None = None

    async def open(self) -> None:
        """Create or check the schema, then fill the pool.

        Raises:
            StoreError: when psycopg is not installed, the loop is not asyncio, the server
                cannot be reached, or the schema is not ``SCHEMA_VERSION``.
        """
        if self._pool is not None:
            return
        await self.call_unpooled(self.prepare, "open the database")
        from psycopg_pool import AsyncConnectionPool, PoolTimeout

        pool: AsyncConnectionPool[Connection] = AsyncConnectionPool(
            self.conninfo,
            min_size=self.min_size,
            max_size=self.max_size,
            timeout=self.timeout,
            kwargs={"autocommit": True},
            open=False,
        )
        try:
            await pool.open(wait=True, timeout=self.timeout)
        except PoolTimeout as error:
            await pool.close()
            raise translate(error, self.where, "fill the connection pool") from error
        self._pool = pool

    async def close(self) -> None:
        """Close the pool's connections; ``open()`` works again."""
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    async def call(self, function: Callable[[Connection], Awaitable[T]], doing: str) -> T:
        """``function`` on a pooled (autocommit) connection.

        Raises:
            StoreError: when the store is not open, or psycopg fails.
        """
        pool = self._pool
        if pool is None:
            raise StoreError(f"{self.where}: cannot {doing}: the store is not open")
        import psycopg

        try:
            async with pool.connection() as connection:
                return await function(connection)
        except psycopg.Error as error:
            raise translate(error, self.where, doing) from error

    async def call_unpooled(
        self, function: Callable[[Connection, str], Awaitable[T]], doing: str
    ) -> T:
        """``function(connection, where)`` on a connection of its own, outside the pool.

        Raises:
            StoreError: when the loop is not asyncio, psycopg is missing or fails.
        """
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            raise StoreError(
                f"{self.where}: psycopg's async driver runs on asyncio only; run plait "
                "with the asyncio backend, or use an SQLite store"
            ) from None
        try:
            import psycopg
            import psycopg_pool  # noqa: F401  (open() needs it next)
        except ImportError as error:
            raise StoreError(f"{self.where} needs psycopg: {_EXTRA}") from error
        try:
            connection = await psycopg.AsyncConnection.connect(
                self.conninfo, autocommit=True, connect_timeout=max(1, round(self.timeout))
            )
        except psycopg.Error as error:
            raise translate(error, self.where, doing) from error
        try:
            async with connection:
                return await function(connection, self.where)
        except psycopg.Error as error:
            raise translate(error, self.where, doing) from error


def is_foreign_key_violation(error: BaseException) -> bool:
    """Whether ``error`` is psycopg's refusal of a row whose run does not exist."""
    from psycopg.errors import ForeignKeyViolation

    return isinstance(error, ForeignKeyViolation)


def translate(error: Exception, where: str, doing: str) -> StoreError:
    """The ``StoreError`` for a psycopg or psycopg_pool error, naming what failed."""
    from psycopg import OperationalError
    from psycopg_pool import PoolClosed, PoolTimeout

    detail = str(error).strip() or type(error).__name__
    if isinstance(error, PoolTimeout):
        reason = f"no connection became free in time ({detail})"
    elif isinstance(error, PoolClosed):
        reason = "the store was closed"
    elif isinstance(error, OperationalError):
        reason = f"the server is unreachable or failed: {detail}"
    else:
        reason = f"{type(error).__name__}: {detail}"
    return StoreError(f"{where}: cannot {doing}: {reason}")


def describe(conninfo: str) -> str:
    """``conninfo`` without its password, to name the store in messages."""
    if "://" in conninfo:
        parts = urllib.parse.urlsplit(conninfo)
        host = parts.netloc.rpartition("@")[2] or "localhost"
        user = f"{parts.username}@" if parts.username else ""
        return f"{parts.scheme}://{user}{host}{parts.path}"
    return re.sub(r"password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", "password=***", conninfo)
