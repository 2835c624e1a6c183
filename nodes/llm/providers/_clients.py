"""SDK clients kept for reuse: one per settings and event loop, while their owner is open.

Building an SDK client loads a certificate bundle into a new SSL context (~30 ms of CPU),
and a client holds a connection pool. So a ``ClientPool`` (one per model catalog) builds
each client once, in a worker thread, and every call with the same settings shares it and
its kept-alive connections. A client belongs to the event loop it was first used on (its
connections and locks do), so the pool keeps one shelf of clients per running loop.

Clients are kept only while the pool is open (``async with pool:``, nestable); a call
made outside gets a client of its own, closed after it, so nothing is ever left open.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Hashable
from contextlib import asynccontextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, TypeVar

import anyio
import anyio.lowlevel
import anyio.to_thread

if TYPE_CHECKING:
    import httpx2

__all__ = ["MAX_CONNECTIONS", "ClientPool", "SdkClient", "http_limits"]

MAX_CONNECTIONS = 1000
"""Open connections per SDK client (the SDKs' own default); all of them may stay alive."""


def http_limits() -> httpx2.Limits:
    """The SDK clients' connection limits: the SDKs keep only 100 connections alive, so a
    burst of 200 parallel calls would open 100 new connections every time."""
    import httpx2

    return httpx2.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS)


class SdkClient(Protocol):
    """What the pool needs of an SDK client: a way to close it."""

    async def close(self) -> None:
        """Close the client's connections."""


ClientT = TypeVar("ClientT", bound=SdkClient)


class _Pending:
    """A client being built: the tasks that want it meanwhile wait for ``ready``."""

    def __init__(self) -> None:
        self.ready = anyio.Event()


class _Shelf:
    """One event loop's clients, and how many owners hold the pool open on that loop."""

    def __init__(self) -> None:
        self.users = 0
        self.closed = False
        self.clients: dict[Hashable, SdkClient | _Pending] = {}


class ClientPool:
    """Shares SDK clients between calls while open; see the module's docstring."""

    def __init__(self) -> None:
        self._shelves: dict[anyio.lowlevel.EventLoopToken, _Shelf] = {}

    def __repr__(self) -> str:
        kept = sum(len(shelf.clients) for shelf in self._shelves.values())
        return f"ClientPool(open={bool(self._shelves)}, clients={kept})"

    @property
    def is_open(self) -> bool:
        """Whether the pool is open on the running event loop."""
        return anyio.lowlevel.current_token() in self._shelves

    async def __aenter__(self) -> ClientPool:
        token = anyio.lowlevel.current_token()
        shelf = self._shelves.get(token)
        if shelf is None:
            shelf = self._shelves[token] = _Shelf()
        shelf.users += 1
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        shelf = self._shelves.get(anyio.lowlevel.current_token())
        if shelf is None:
            return
        shelf.users -= 1
        if shelf.users <= 0:
            await self.aclose()

    async def aclose(self) -> None:
        """Close every client kept for the running event loop, whoever still holds it open."""
        shelf = self._shelves.pop(anyio.lowlevel.current_token(), None)
        if shelf is None:
            return
        shelf.closed = True
        with anyio.CancelScope(shield=True):
            for client in shelf.clients.values():
                if not isinstance(client, _Pending):
                    await client.close()

    @asynccontextmanager
    async def client(self, key: Hashable, make: Callable[[], ClientT]) -> AsyncIterator[ClientT]:
        """The client for ``key``: the kept one, built by ``make`` on first use.

        Outside an open pool, a client built for this call alone and closed after it.
        """
        shelf = self._shelves.get(anyio.lowlevel.current_token())
        if shelf is None:
            own = await _build(make)
            try:
                yield own
            finally:
                with anyio.CancelScope(shield=True):
                    await own.close()
            return
        yield await _shared(shelf, key, make)


async def _shared(shelf: _Shelf, key: Hashable, make: Callable[[], ClientT]) -> ClientT:
    """The shelf's client for ``key``; the first task to ask builds it, the others wait."""
    while True:
        found = shelf.clients.get(key)
        if found is None:
            pending = shelf.clients[key] = _Pending()
            try:
                # Shielded: a cancelled builder still hands the client to those waiting.
                with anyio.CancelScope(shield=True):
                    built = await _build(make)
            except BaseException:
                del shelf.clients[key]
                raise
            finally:
                pending.ready.set()
            shelf.clients[key] = built
            if shelf.closed:  # the pool closed while this client was being built
                with anyio.CancelScope(shield=True):
                    await built.close()
            await anyio.lowlevel.checkpoint_if_cancelled()
            return built
        if not isinstance(found, _Pending):
            return found  # type: ignore[return-value]  # the key says which SDK built it
        await found.ready.wait()


async def _build(make: Callable[[], ClientT]) -> ClientT:
    # Off the event loop: loading the certificates would stall every other task.
    return await anyio.to_thread.run_sync(make)
