"""Naming a result cache by URL: the store URL forms, for the backends plait has.

A new backend is one more entry in ``_BACKENDS``: a scheme and a function from the URL
to a ``ResultCache``.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable

from plait.engine.cache._memory import MemoryCache
from plait.engine.cache._postgres import PostgresCache
from plait.engine.cache._protocol import ResultCache
from plait.engine.cache._redis import RedisCache
from plait.engine.cache._sqlite import SQLiteCache
from plait.engine.stores._protocol import StoreError
from plait.engine.stores._redis import RedisStore
from plait.engine.stores._url import STORE_URL_FORMS, open_store

__all__ = ["open_cache"]


def _memory(url: str) -> ResultCache:
    open_store(url)  # the same checks as a store URL
    return MemoryCache()


def _sqlite(url: str) -> ResultCache:
    open_store(url)
    location, _, query = url.partition("://")[2].partition("?")
    synchronous = urllib.parse.parse_qs(query).get("synchronous", ["NORMAL"])[-1]
    return SQLiteCache(urllib.parse.unquote(location[1:]), synchronous=synchronous)


def _postgres(url: str) -> ResultCache:
    return PostgresCache(url)


def _redis(url: str) -> ResultCache:
    store = open_store(url)  # the same URL checks, and the same `prefix` option
    assert isinstance(store, RedisStore)
    return RedisCache(store.url, prefix=store.prefix)


_BACKENDS: dict[str, Callable[[str], ResultCache]] = {
    "memory": _memory,
    "sqlite": _sqlite,
    "postgresql": _postgres,
    "postgres": _postgres,
    "redis": _redis,
    "rediss": _redis,
}


def open_cache(url: str) -> ResultCache:
    """The result cache ``url`` names, not yet opened (``await cache.open()``).

    The forms are the store's (``memory://``, ``sqlite:///runs.db``,
    ``postgresql://...``, ``redis://...``): the cache keeps its own table (``plait_cache``;
    on Redis, keys under ``<prefix>:cache:``), so it can share a file or database with the
    run store. An SQLite cache commits with
    ``synchronous=normal`` unless the URL says otherwise: a lost entry is only a miss.

    Raises:
        StoreError: when the URL names no backend plait has.
    """
    scheme = url.partition("://")[0].lower()
    make = _BACKENDS.get(scheme)
    if make is None:
        forms = ", ".join(f"`{form}`" for form in STORE_URL_FORMS)
        shown = url.split("@")[-1]
        raise StoreError(
            f"cache URL `{shown}`: the scheme `{scheme}` has no result cache; expected one "
            f"of {forms}"
        )
    return make(url)
