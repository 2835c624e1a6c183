"""What a result cache is: entries of encoded node outputs, kept across runs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from plait.engine.stores._protocol import checksum

__all__ = ["CacheEntry", "ResultCache"]


@dataclass(frozen=True, slots=True)
class CacheEntry:
    """One cached node output: its key, what produced it, the encoded value, its expiry.

    ``data`` is the output encoded by plait's codec (JSON); ``checksum`` is its SHA-256,
    so an entry damaged at rest is noticed (and treated as a miss).
    """

    key: str
    graph: str
    """The name of the graph whose run wrote it (``plait cache clear --graph`` uses it)."""
    node: str
    """The node path."""
    data: bytes
    checksum: str
    created_at: float
    expires_at: float | None
    """Wall-clock time after which the entry is not used; ``None``: never expires."""

    @classmethod
    def of(
        cls, key: str, graph: str, node: str, data: bytes, now: float, ttl: float | None
    ) -> CacheEntry:
        """An entry for ``data`` written at ``now``, living ``ttl`` seconds (or forever)."""
        expires = None if ttl is None else now + ttl
        return cls(key, graph, node, bytes(data), checksum(data), now, expires)

    def intact(self) -> bool:
        """Whether ``data`` still matches its checksum."""
        return checksum(self.data) == self.checksum

    def live(self, now: float) -> bool:
        """Whether the entry has not expired at ``now``."""
        return self.expires_at is None or self.expires_at > now


@runtime_checkable
class ResultCache(Protocol):
    """Where node outputs are kept across runs. Backends: ``MemoryCache``, ``SQLiteCache``,
    ``PostgresCache``, ``RedisCache``; ``open_cache(url)`` picks one by URL.

    Methods raise ``StoreError`` when the backend fails; a run treats that as a miss (on
    ``get``) or a skipped write (on ``put``) and logs a warning, never failing for it.
    """

    async def open(self) -> None:
        """Connect, creating the cache's table when it is new."""
        ...

    async def close(self) -> None:
        """Disconnect; ``open()`` works again."""
        ...

    async def get(self, key: str, now: float) -> CacheEntry | None:
        """The entry under ``key`` if it has not expired at ``now``, else ``None``."""
        ...

    async def put(self, entry: CacheEntry) -> None:
        """Keep ``entry``, replacing any entry under its key."""
        ...

    async def clear(self, graph: str | None = None) -> int:
        """Remove every entry (of ``graph`` only, when given); how many were removed."""
        ...
