"""One journaled write of shared run memory, as the stores keep it."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace

__all__ = ["SharedRecord", "Updater"]

Updater = Callable[[bytes | None], bytes]
"""An atomic update: the key's latest committed value (``None``: never written) to the
value to store. A store calls it inside the writing transaction, holding the key."""


@dataclass(frozen=True, slots=True)
class SharedRecord:
    """A node's write of one shared memory key: the value's bytes, with a checksum.

    Keyed by (scope, owner, key, run, node): a node's write replaces its own earlier one
    (a re-committed node never writes twice) and takes a new ``version``. A key's value
    is its write with the highest version: the last one committed wins.
    """

    scope: str
    """``run``, ``thread`` or ``graph``."""
    owner: str
    """Whose memory: the run id, the thread id, or the graph name."""
    key: str
    run_id: str
    """The run whose node wrote it."""
    node: str
    """The writing node's path."""
    data: bytes
    """The value, JSON-encoded (plait's codec), secrets refused before it got here."""
    checksum: str
    """SHA-256 hex of ``data``, verified by the store on every write and read."""
    created_at: float
    version: int = 0
    """Assigned by the store when written: higher is later, across every scope."""
    update: Updater | None = field(default=None, compare=False, repr=False)
    """For ``SharedMemory.update``: ``data`` is the value as the node saw it, and the
    store writes ``update(latest)`` instead, reading the key's latest value in the same
    transaction and holding it (so two concurrent updates never lose one). Not stored."""

    @classmethod
    def of(
        cls, scope: str, owner: str, key: str, run_id: str, node: str, data: bytes, at: float
    ) -> SharedRecord:
        """The record of ``data``, with its ``checksum`` (version 0: not yet written)."""
        data = bytes(data)
        digest = hashlib.sha256(data).hexdigest()
        return cls(scope, owner, key, run_id, node, data, digest, at)

    @property
    def where_key(self) -> tuple[str, str, str]:
        """(scope, owner, key): the key this record writes."""
        return (self.scope, self.owner, self.key)

    @property
    def where(self) -> str:
        """The key as messages name it: ``notes` (per run r1)``."""
        return f"{self.key}` (per {self.scope} {self.owner})"

    def applied(self, latest: bytes | None) -> SharedRecord:
        """The record to store: an update's value computed from ``latest`` (the key's
        latest committed value), or this record when it is a plain write."""
        if self.update is None:
            return self
        data = bytes(self.update(latest))
        return replace(self, data=data, checksum=hashlib.sha256(data).hexdigest(), update=None)
