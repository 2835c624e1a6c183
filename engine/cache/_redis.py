"""The Redis result cache: one key per entry (``<prefix>:cache:<key>``), in the database
a Redis store uses or another.

It reaches Redis through the store's connection module (redis-py's one home) and packs
entries with the store's record format. An entry with a TTL also gets a Redis expiry of
that many seconds, so Redis frees it; ``get`` still checks the expiry against the
caller's clock. Each graph's keys are kept in a set, for ``clear(graph)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from plait.engine.cache._protocol import CacheEntry
from plait.engine.stores._protocol import StoreError
from plait.engine.stores._redis_connection import RedisConnection, describe
from plait.engine.stores._redis_queries import text
from plait.engine.stores._redis_records import Reader, RecordFormatError, pack

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["RedisCache"]


class RedisCache:
    """Entries in a Redis database, shared by every process that opens it; every key
    starts with ``prefix`` and ``:cache``. Needs asyncio (redis-py's async client does not
    run on trio)."""

    def __init__(
        self, url: str, *, prefix: str = "plait", max_connections: int = 8, timeout: float = 10.0
    ) -> None:
        self.url = url
        self.prefix = prefix
        self._connection = RedisConnection(
            url, schema_key=None, max_connections=max_connections, timeout=timeout
        )
        self._connection.where = f"Redis cache {describe(url)}"

    def __repr__(self) -> str:
        return f"RedisCache({describe(self.url)!r}, prefix={self.prefix!r})"

    async def open(self) -> None:
        """Connect.

        Raises:
            StoreError: when redis is missing, the loop is not asyncio, or the server
                cannot be reached.
        """
        await self._connection.open()

    async def close(self) -> None:
        """Close the connections; ``open()`` works again."""
        await self._connection.close()

    async def get(self, key: str, now: float) -> CacheEntry | None:
        """The entry under ``key`` if it has not expired at ``now``.

        Raises:
            StoreError: when the stored value is not an entry this cache wrote (the run
                treats it as a miss, with a warning).
        """

        async def read(client: Redis) -> object:
            return await client.get(self._entry(key))

        value = await self._connection.call(read, f"read cache entry {key[:12]}")
        if value is None:
            return None
        try:
            entry = _unpacked(key, value)
        except RecordFormatError as error:
            raise StoreError(
                f"{self._connection.where}: cache entry {key[:12]} is unreadable: {error}"
            ) from None
        return entry if entry.live(now) else None

    async def put(self, entry: CacheEntry) -> None:
        """Keep ``entry``, replacing any entry under its key."""
        value = pack(
            entry.graph, entry.node, entry.data, entry.checksum, float(entry.created_at),
            None if entry.expires_at is None else float(entry.expires_at),
        )  # fmt: skip
        lifetime = None
        if entry.expires_at is not None:
            lifetime = max(1, round((entry.expires_at - entry.created_at) * 1000))

        async def write(client: Redis) -> None:
            async with client.pipeline(transaction=True) as pipe:
                pipe.set(self._entry(entry.key), value, px=lifetime)
                pipe.sadd(self._graph(entry.graph), entry.key)
                await pipe.execute()

        await self._connection.call(write, f"write the cache entry of node `{entry.node}`")

    async def clear(self, graph: str | None = None) -> int:
        """Remove every entry (of ``graph`` only, when given); how many were removed."""

        async def delete(client: Redis) -> int:
            if graph is None:
                entries = [key async for key in client.scan_iter(match=self._entry("*"))]
                sets = [key async for key in client.scan_iter(match=self._graph("*"))]
            else:
                members = await client.smembers(self._graph(graph))
                entries = [self._entry(text(member)) for member in members]
                sets = [self._graph(graph)]
            removed = 0
            for start in range(0, len(entries), 1000):
                removed += int(await client.delete(*entries[start : start + 1000]))
            if sets:
                await client.delete(*sets)
            return removed

        return await self._connection.call(delete, "clear the cache")

    def _entry(self, key: str) -> str:
        return f"{self.prefix}:cache:{key}"

    def _graph(self, graph: str) -> str:
        return f"{self.prefix}:cache-graph:{graph}"


def _unpacked(key: str, value: object) -> CacheEntry:
    read = Reader(value)
    entry = CacheEntry(
        key, read.text(), read.text(), read.data(), read.text(), read.number(),
        read.maybe_number(),
    )  # fmt: skip
    read.end()
    return entry
