"""Shared run memory: what the engine gives nodes as ``RunContext.shared``.

A node's writes are held per attempt; when the node finishes they become visible to the
run, and the top-level node that contains it commits them with its output, in one store
transaction. A failed attempt's writes are dropped, so a retry, a resume or a fork never
applies a write twice. Without a store the memory lives in the run, for the run only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import replace
from typing import TYPE_CHECKING, TypeVar, cast, overload

from plait.engine._group_commit import STEPS_PER_COMMIT
from plait.engine.stores._codec import DecodeError, decode, encode
from plait.engine.stores._protocol import SharedRecord
from plait.engine.stores._shared_record import Updater
from plait.nodes import Key, Secrets, SharedMemoryError, fit_value, type_name

if TYPE_CHECKING:
    from plait.engine._durable import Checkpointer
    from plait.engine._scheduler import Scheduler

__all__ = ["RunShared", "SharedView", "committed", "discarded", "forked_memory"]

T = TypeVar("T")
Place = tuple[str, str, str]
"""(scope, owner, key): where a value lives."""


def _under(path: str, top: str) -> bool:
    return path == top or path.startswith((f"{top}/", f"{top}["))


async def committed(scheduler: Scheduler, index: int) -> int:
    """A step finished: its shared memory writes become the run's, and a top-level step
    commits its output with the writes of every node inside it, in one transaction.

    Returns what the commit weighs in the scheduler's inline steps (``STEPS_PER_COMMIT``
    when it wrote to the store, 0 when it did not): its loop turns are paced by it.
    """
    name = scheduler.names[index]
    shared = scheduler.root.shared
    if shared is not None:
        shared.completed(name)
    checkpoint = scheduler.checkpoint
    if checkpoint is None:
        return 0
    writes = () if shared is None else shared.flush(name)
    await checkpoint.commit(name, scheduler.attempts[index], writes)
    return 0 if checkpoint.mode == "exit" else STEPS_PER_COMMIT


def discarded(scheduler: Scheduler, index: int) -> None:
    """A step gave up: its writes, and those of the nodes inside it, are dropped."""
    if scheduler.root.shared is not None:
        scheduler.root.shared.discard(scheduler.names[index])


def forked_memory(
    writes: Sequence[SharedRecord], run_id: str, kept: Set[str]
) -> list[SharedRecord]:
    """A fork's run memory as of its fork point: the parent's run-scoped writes by the
    nodes the fork keeps, now the fork's. Thread and graph writes are shared already: a
    copy would apply them twice."""
    return [
        replace(write, owner=run_id, run_id=run_id, version=0)
        for write in writes
        if write.scope == "run" and any(_under(write.node, node) for node in kept)
    ]


class RunShared:
    """One run's shared memory: pending writes by node, and the store (or the process)."""

    def __init__(
        self,
        run_id: str,
        graph: str,
        inputs: Mapping[str, object],
        checkpoint: Checkpointer | None,
        secrets: Secrets,
        wall: Callable[[], float],
    ) -> None:
        self.run_id = run_id
        self.graph = graph
        self.thread = inputs.get("thread")
        self.checkpoint = checkpoint
        self.secrets = secrets
        self.wall = wall
        self.pending: dict[str, dict[Place, bytes]] = {}
        """The writes of each node's running attempt."""
        self.done: dict[str, dict[Place, bytes]] = {}
        """Finished nodes' writes that are not yet in the store."""
        self.latest: dict[Place, tuple[str, bytes]] = {}
        """What the run reads before the store: the last finished write not yet stored."""
        self.local: dict[Place, bytes] = {}
        """The memory of a run without a store."""
        self.updates: dict[str, dict[Place, Updater]] = {}
        """Each node's atomic updates (pending or finished): applied again to the key's
        latest value when committed."""

    def view(self, node: str) -> SharedView:
        """What ``node``'s new attempt sees (its earlier attempt's writes are dropped)."""
        self.pending[node] = {}
        self.updates[node] = {}
        return SharedView(self, node)

    def place(self, key: Key[T]) -> Place:
        if key.scope == "run":
            return ("run", self.run_id, key.name)
        if key.scope == "graph":
            return ("graph", self.graph, key.name)
        if not isinstance(self.thread, str) or not self.thread:
            raise SharedMemoryError(
                f"shared key {key} is kept per thread, but run {self.run_id} has no thread: "
                f"graph `{self.graph}` needs a `thread: str` input naming the conversation "
                'thread (or declare the key with scope="run" or "graph")'
            )
        return ("thread", self.thread, key.name)

    def completed(self, node: str) -> None:
        """``node`` finished: its writes become the run's (stored at its commit)."""
        writes = self.pending.pop(node, None)
        if not writes:
            return
        updates = self.updates.get(node, {})
        if self.checkpoint is None:
            self.updates.pop(node, None)
            for place, data in writes.items():
                update = updates.get(place)
                self.local[place] = data if update is None else update(self.local.get(place))
            return
        for place, update in updates.items():
            if place in self.latest:  # another node's finished write, not yet stored
                writes[place] = update(self.latest[place][1])
        self.done.setdefault(node, {}).update(writes)
        for place, data in writes.items():
            self.latest[place] = (node, data)

    def flush(self, top: str) -> list[SharedRecord]:
        """The finished writes of ``top`` and the nodes inside it, as records to commit
        with its output; kept readable until stored when the run commits at exit."""
        if not self.done:
            return []
        at = self.wall()
        records: list[SharedRecord] = []
        for node in [node for node in self.done if _under(node, top)]:
            updates = self.updates.pop(node, {})
            for place, data in self.done.pop(node).items():
                record = SharedRecord.of(*place, self.run_id, node, data, at)
                records.append(replace(record, update=updates.get(place)))
        if self.checkpoint is not None and self.checkpoint.mode != "exit":
            for place in [p for p, (node, _) in self.latest.items() if _under(node, top)]:
                del self.latest[place]
        return records

    def discard(self, node: str) -> None:
        """``node`` gave up: forget its writes and those of the nodes inside it."""
        for table in (self.pending, self.done, self.updates):
            for name in [name for name in table if _under(name, node)]:
                del table[name]
        for place in [p for p, (name, _) in self.latest.items() if _under(name, node)]:
            del self.latest[place]

    async def read(self, node: str, place: Place) -> bytes | None:
        own = self.pending.get(node)
        if own is not None and place in own:
            return own[place]
        found = self.latest.get(place)
        if found is not None:
            return found[1]
        if self.checkpoint is None:
            return self.local.get(place)
        record = await self.checkpoint.store.load_shared(*place)
        return None if record is None else record.data


class SharedView:
    """``RunContext.shared`` for one attempt of one node (a ``SharedMemory``)."""

    def __init__(self, run: RunShared, node: str) -> None:
        self._run = run
        self._node = node

    @overload
    async def get(self, key: Key[T]) -> T | None: ...
    @overload
    async def get(self, key: Key[T], default: T) -> T: ...
    async def get(self, key: Key[T], default: T | None = None) -> T | None:
        """The key's value, or ``default`` when it was never written.

        Raises:
            SharedMemoryError: when the stored value does not decode to the key's type,
                or a thread key is read in a run without a thread.
        """
        data = await self._run.read(self._node, self._run.place(key))
        return default if data is None else _decoded(key, data)

    async def set(self, key: Key[T], value: T) -> None:
        """Write ``value`` under ``key``; it is committed when the node finishes.

        Raises:
            SharedMemoryError: when the value is not of the key's type, holds one of the
                run's secrets, or a thread key is written in a run without a thread.
        """
        place = self._run.place(key)
        self._run.pending.setdefault(self._node, {})[place] = self._encoded(key, value)
        self._run.updates.setdefault(self._node, {}).pop(place, None)

    async def update(self, key: Key[T], change: Callable[[T], T], default: T) -> T:
        """Write ``change(value)`` under ``key`` atomically, and return it.

        ``change`` gets the key's value (``default`` when never written). When the node
        commits, it is called again on the key's latest committed value, in the store
        transaction that writes it, holding the key: an update made by a parallel branch
        or another run in between is never lost. ``change`` must be pure.

        Raises:
            SharedMemoryError: as ``set`` does, for what ``change`` returns.
        """
        place = self._run.place(key)
        own = self._run.pending.setdefault(self._node, {})
        updates = self._run.updates.setdefault(self._node, {})
        earlier = updates.get(place)

        def step(data: bytes | None) -> bytes:
            return self._encoded(key, change(default if data is None else _decoded(key, data)))

        if place in own:
            data = step(own[place])
            if earlier is not None:  # on top of this node's own earlier update
                updates[place] = lambda latest: step(earlier(latest))
        else:
            data = step(await self._run.read(self._node, place))
            updates[place] = step
        own[place] = data
        return _decoded(key, data)

    def _encoded(self, key: Key[T], value: T) -> bytes:
        fit = fit_value(key.type)
        if fit is not None:
            try:
                value = cast(T, fit(value))
            except ValueError as error:
                expected = type_name(key.type)
                raise SharedMemoryError(
                    f"node `{self._node}` wrote shared key {key}: expected `{expected}`, "
                    f"found `{type_name(type(value))}` ({error}); write a `{expected}`, "
                    "or declare the key with the type you store"
                ) from None
        try:
            data = encode(value)
        except TypeError as error:
            raise SharedMemoryError(
                f"node `{self._node}` wrote shared key {key}: the value cannot be stored ({error})"
            ) from None
        if self._run.secrets and self._run.secrets.mask_json(data) != data:
            raise SharedMemoryError(
                f"node `{self._node}` wrote shared key {key}: the value holds one of the "
                "run's secrets (an API key, token or password); shared memory never keeps "
                "a secret: store a reference to it (its setting's name) instead"
            )
        return data


def _decoded(key: Key[T], data: bytes) -> T:
    try:
        return cast(T, decode(data, key.type))
    except DecodeError as error:
        raise SharedMemoryError(
            f"shared key {key}: the stored value is not a `{type_name(key.type)}` "
            f"({error}); it was written under another declaration of the key: "
            "rename the key, or declare it with the stored type"
        ) from None
