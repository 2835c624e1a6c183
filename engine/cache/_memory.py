"""The in-memory result cache: for tests and for one process's repeated runs."""

from __future__ import annotations

from plait.engine.cache._protocol import CacheEntry

__all__ = ["MemoryCache"]


class MemoryCache:
    """Entries in a dict of this process, gone when it ends. Needs no ``open()``."""

    def __init__(self) -> None:
        self.entries: dict[str, CacheEntry] = {}

    async def open(self) -> None:
        """Nothing to connect to."""

    async def close(self) -> None:
        """Entries stay: a closed memory cache can be opened again with them."""

    async def get(self, key: str, now: float) -> CacheEntry | None:
        """The entry under ``key`` if it has not expired at ``now``."""
        entry = self.entries.get(key)
        return entry if entry is not None and entry.live(now) else None

    async def put(self, entry: CacheEntry) -> None:
        """Keep ``entry``, replacing any entry under its key."""
        self.entries[entry.key] = entry

    async def clear(self, graph: str | None = None) -> int:
        """Remove every entry (of ``graph`` only, when given); how many were removed."""
        doomed = [key for key, entry in self.entries.items() if graph in (None, entry.graph)]
        for key in doomed:
            del self.entries[key]
        return len(doomed)
