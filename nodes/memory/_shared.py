"""Shared run memory: typed keys a run's nodes read and write through the run context."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, Literal, Protocol, TypeVar, overload, runtime_checkable

from plait.nodes._errors import PlaitError

__all__ = ["Key", "Scope", "SharedMemory", "SharedMemoryError"]

T = TypeVar("T")

Scope = Literal["run", "thread", "graph"]
"""Who shares a key: this run only (and its resumes and forks), every run of the same
conversation thread (the run's ``thread`` input), or every run of the same graph name."""

_SCOPES: tuple[Scope, ...] = ("run", "thread", "graph")


@dataclass(frozen=True, slots=True)
class Key(Generic[T]):
    """A key of shared run memory, declared with the type of its values.

    ``Key("notes", list[str])`` holds a list of strings for one run; ``scope="thread"``
    shares it with every run on the same thread, ``scope="graph"`` with every run of the
    graph. A write of another type fails naming the key; a read decodes to ``type``.
    """

    name: str
    type: type[T] = field(hash=False, compare=False)
    scope: Scope = "run"

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a shared memory key needs a name")
        if self.scope not in _SCOPES:
            raise ValueError(
                f"shared key `{self.name}`: scope must be one of run, thread, graph, "
                f"got {self.scope!r}"
            )

    def __str__(self) -> str:
        return f"`{self.name}` (per {self.scope})"


class SharedMemoryError(PlaitError):
    """A shared memory key was misused: a wrong-type write, a secret in a value, a
    thread key in a run without a thread, or a stored value that does not decode."""


@runtime_checkable
class SharedMemory(Protocol):
    """What a node sees as ``RunContext.shared``.

    A write is held until the node finishes and is then committed with its output, in
    the same transaction: a failed or retried attempt writes nothing, a resumed node
    never writes twice. The node reads its own writes at once; other nodes see them when
    it has finished. Of two ``set``s of one key, the one committed last wins; ``update``
    is applied to the latest value when it commits, so no update is lost.
    """

    @overload
    async def get(self, key: Key[T]) -> T | None: ...
    @overload
    async def get(self, key: Key[T], default: T) -> T: ...
    async def get(self, key: Key[T], default: T | None = None) -> T | None:
        """The key's value, or ``default`` when it was never written.

        Raises:
            SharedMemoryError: when the stored value does not decode to the key's type.
        """
        ...

    async def set(self, key: Key[T], value: T) -> None:
        """Write ``value`` under ``key`` (committed when the node finishes).

        Raises:
            SharedMemoryError: when the value is not of the key's type, or holds a secret.
        """
        ...

    async def update(self, key: Key[T], change: Callable[[T], T], default: T) -> T:
        """Write ``change(value)`` under ``key`` atomically, and return it.

        ``change`` gets the key's value (``default`` when never written). When the node
        commits, ``change`` is applied again to the key's latest committed value, in the
        store transaction that writes it: two parallel branches appending to one list
        both land. ``change`` must be pure (no I/O, no other effects).

        Raises:
            SharedMemoryError: when what ``change`` returns is not of the key's type, or
                holds a secret.
        """
        ...
