"""Naming a store by URL: ``memory://``, ``sqlite:///path.db``, ``postgresql://...``,
``redis://...``."""

from __future__ import annotations

import urllib.parse

from plait.engine.stores._memory import MemoryStore
from plait.engine.stores._postgres import PostgresStore
from plait.engine.stores._protocol import Store, StoreError
from plait.engine.stores._redis import RedisStore
from plait.engine.stores._sqlite import SQLiteStore

__all__ = ["STORE_URL_FORMS", "open_store"]

STORE_URL_FORMS = (
    "memory://",
    "sqlite:///relative/path.db",
    "sqlite:////absolute/path.db",
    "postgresql://user:password@host:port/database",
    "redis://:password@host:port/db?prefix=plait",
)
"""The URL forms ``open_store`` accepts, for help texts and error messages."""

_SQLITE_OPTIONS = ("synchronous",)


def open_store(url: str) -> Store:
    """The store ``url`` names, not yet opened: ``await store.open()``, or ``async with``.

    - ``memory://``: in this process only, gone when it ends.
    - ``sqlite:///runs.db`` (three slashes): a file relative to the working directory;
      ``sqlite:////var/plait/runs.db`` (four): an absolute path. ``?synchronous=normal``
      trades durability on power loss for faster commits (default ``full``).
    - ``postgresql://user:password@host:port/database`` (or ``postgres://``), with any
      libpq parameters in the query string.
    - ``redis://[[user]:password@]host[:port][/db]`` (``rediss://`` for TLS):
      ``?prefix=name`` starts every key with ``name:`` (default ``plait``); other query
      parameters go to redis-py.

    Raises:
        StoreError: when the URL has another scheme or lacks a path.
    """
    scheme, separator, rest = url.partition("://")
    scheme = scheme.lower()
    if not separator:
        raise _unsupported(url, "it has no scheme")
    if scheme == "memory":
        if rest:
            raise _unsupported(url, "`memory://` takes nothing after the scheme")
        return MemoryStore()
    if scheme == "sqlite":
        return _sqlite(url, rest)
    if scheme in ("postgresql", "postgres"):
        return PostgresStore(url)
    if scheme in ("redis", "rediss"):
        return _redis(url)
    raise _unsupported(url, f"the scheme `{scheme}` is not one plait knows")


def _sqlite(url: str, rest: str) -> SQLiteStore:
    location, _, query = rest.partition("?")
    if not location.startswith("/"):
        raise _unsupported(
            url, "an SQLite URL has no host: use three slashes before a relative path"
        )
    path = urllib.parse.unquote(location[1:])
    if not path or path == "/":
        raise _unsupported(url, "it names no file")
    options = urllib.parse.parse_qs(query, keep_blank_values=True)
    unknown = sorted(set(options) - set(_SQLITE_OPTIONS))
    if unknown:
        expected = ", ".join(_SQLITE_OPTIONS)
        raise _unsupported(url, f"unknown option {', '.join(unknown)} (expected: {expected})")
    synchronous = options.get("synchronous", ["FULL"])[-1]
    return SQLiteStore(path, synchronous=synchronous)


def _redis(url: str) -> RedisStore:
    parts = urllib.parse.urlsplit(url)
    options = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    prefixes = [value for name, value in options if name == "prefix"]
    if prefixes and not prefixes[-1]:
        raise _unsupported(url, "`prefix=` needs a name (the start of every key)")
    rest = urllib.parse.urlencode([(name, value) for name, value in options if name != "prefix"])
    prefix = prefixes[-1] if prefixes else "plait"
    return RedisStore(parts._replace(query=rest).geturl(), prefix=prefix)


def _unsupported(url: str, reason: str) -> StoreError:
    forms = ", ".join(f"`{form}`" for form in STORE_URL_FORMS)
    return StoreError(f"store URL `{_redact(url)}`: {reason}; expected one of {forms}")


def _redact(url: str) -> str:
    """``url`` with any password replaced by ``***``."""
    try:
        parts = urllib.parse.urlsplit(url)
        password = parts.password
    except ValueError:
        return url.split("@")[-1] if "@" in url else url
    if password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))
