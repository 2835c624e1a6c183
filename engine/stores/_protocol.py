"""Checkpoint stores: one small protocol; memory, SQLite and PostgreSQL implement it.

A store keeps bytes and small facts. It never decodes an output: the engine encodes each
value with msgspec against its declared type before ``put_outputs`` and decodes it after
``load``. Every stored output carries a SHA-256 of its bytes (``checksum``), checked on
every write and every read.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal, Protocol, runtime_checkable

from plait.engine.stores._errors import (
    CorruptRecordError,
    LeaseLostError,
    RunLockedError,
    StoreError,
)
from plait.engine.stores._lease import Lease
from plait.engine.stores._shared_record import SharedRecord
from plait.nodes import JournalEntry

__all__ = [
    "SCHEMA_VERSION",
    "CorruptRecordError",
    "FailureRecord",
    "InterruptRecord",
    "JournalRecord",
    "Lease",
    "LeaseLostError",
    "OutputRecord",
    "RunLockedError",
    "RunRecord",
    "SharedRecord",
    "Store",
    "StoreError",
    "StoredRun",
    "StoredStatus",
    "ThreadRecord",
    "checksum",
]

SCHEMA_VERSION = 6
"""The layout every store writes; a store refuses to open a newer one and migrates older
ones only by an explicit ``migrate()``."""


class StoredStatus(StrEnum):
    """A stored run's status."""

    RUNNING = "running"
    WAITING = "waiting"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One run: what ran, on what, and where it stands."""

    run_id: str
    graph: str
    content_hash: str
    canonical: str
    """The graph's canonical description as JSON, to say what changed on resume."""
    inputs: bytes
    """The run's inputs, JSON-encoded."""
    status: StoredStatus
    created_at: float
    updated_at: float
    error: str | None = None
    parent_run: str | None = None
    """The run this one was forked from."""


def checksum(data: bytes) -> str:
    """The SHA-256 hex digest of ``data``: what ``OutputRecord.checksum`` holds.

    The digests of the last few ``bytes`` objects over 512 bytes hashed are remembered by
    the object itself (bytes never change): a record made by ``OutputRecord.of`` and then
    checked by the store it is written to is hashed once, not twice (a smaller one is
    hashed twice: that costs less than remembering).
    """
    if len(data) <= _HASHED_TWICE:
        return hashlib.sha256(data).hexdigest()
    known = _RECENT.get(id(data))
    if known is not None and known[0] is data:
        return known[1]
    digest = hashlib.sha256(data).hexdigest()
    if type(data) is bytes and len(data) <= _RECENT_BYTES:
        with _RECENT_LOCK:  # stores hash in their worker threads too
            if len(_RECENT) >= _RECENT_COUNT:
                _RECENT.pop(next(iter(_RECENT)))
            _RECENT[id(data)] = (data, digest)
    return digest


_RECENT: dict[int, tuple[bytes, str]] = {}
_RECENT_COUNT, _RECENT_BYTES, _HASHED_TWICE = 64, 64 * 1024, 512
_RECENT_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class OutputRecord:
    """A committed node output: the value's bytes, exactly as the engine encoded them."""

    run_id: str
    node: str
    """The node's path (``outer/inner/node``)."""
    attempt: int
    data: bytes
    checksum: str
    """SHA-256 hex of ``data``, verified by the store on every write and read."""
    created_at: float

    @classmethod
    def of(cls, run_id: str, node: str, attempt: int, data: bytes, at: float) -> OutputRecord:
        """The record of ``data``, with its ``checksum``."""
        return cls(run_id, node, attempt, bytes(data), checksum(data), at)


@dataclass(frozen=True, slots=True)
class InterruptRecord:
    """A node waiting for an answer: the question, the answer's schema, and the answer."""

    run_id: str
    node: str
    key: str
    """Stable within the node, so a resumed node finds its own earlier question."""
    question: str
    schema: str
    """The JSON Schema of the expected answer."""
    answer: bytes | None
    created_at: float


@dataclass(frozen=True, slots=True)
class FailureRecord:
    """A failed attempt of a node."""

    run_id: str
    node: str
    attempt: int
    error_type: str
    message: str
    created_at: float


@dataclass(frozen=True, slots=True)
class JournalRecord:
    """A journaled agent call (``JournalEntry``) of a run, with its checksum."""

    run_id: str
    node: str
    index: int
    kind: str
    """``"llm"``, ``"tool"`` or ``"approval"`` (a person's decision on a tool call)."""
    request_hash: str
    request: bytes
    response: bytes
    checksum: str
    """SHA-256 hex of ``request``, a NUL byte and ``response`` (see ``journal_checksum``)."""
    created_at: float

    @classmethod
    def of(cls, run_id: str, entry: JournalEntry, at: float) -> JournalRecord:
        """The record of ``entry`` in run ``run_id``, with its checksum."""
        request, response = bytes(entry.request), bytes(entry.response)
        digest = journal_checksum(request, response)
        return cls(
            run_id, entry.node, entry.index, entry.kind, entry.request_hash, request, response,
            digest, at,
        )  # fmt: skip

    @property
    def entry(self) -> JournalEntry:
        """The journal entry this record holds."""
        kinds: tuple[Literal["llm", "tool", "approval"], ...] = ("tool", "approval", "llm")
        kind = next((known for known in kinds if known == self.kind), kinds[-1])
        return JournalEntry(
            self.node, self.index, kind, self.request_hash, self.request, self.response
        )


def journal_checksum(request: bytes, response: bytes) -> str:
    """The checksum of a journaled call: ``checksum`` of both JSON texts, NUL between
    (canonical JSON never holds a raw NUL, so the split is unambiguous)."""
    return checksum(request + b"\0" + response)


@dataclass(frozen=True, slots=True)
class ThreadRecord:
    """One node's turn in a conversation thread: the messages it added, with a checksum.

    A thread is shared by every run that names it; its turns are kept in append order.
    """

    thread_id: str
    run_id: str
    """The run that appended the turn (threads outlive runs; a turn belongs to one)."""
    node: str
    """The node's path: with ``thread_id`` and ``run_id``, the turn's key."""
    messages_after: int
    """How many of the thread's messages the node saw before its turn."""
    messages: bytes
    """The turn's messages, a JSON list (``plait.nodes.llm`` codec, secrets masked)."""
    checksum: str
    """SHA-256 hex of ``messages``, verified by the store on every write and read."""
    created_at: float

    @classmethod
    def of(
        cls, thread_id: str, run_id: str, node: str, after: int, messages: bytes, at: float
    ) -> ThreadRecord:
        """The turn of ``messages``, with its ``checksum``."""
        data = bytes(messages)
        return cls(thread_id, run_id, node, after, data, checksum(data), at)


@dataclass(frozen=True, slots=True)
class StoredRun:
    """Everything a store holds about one run, as ``Store.load`` reads it."""

    run: RunRecord
    outputs: Mapping[str, OutputRecord]
    """Committed outputs by node path, in commit order."""
    failures: Sequence[FailureRecord]
    """Failed attempts, oldest first."""
    interrupts: Sequence[InterruptRecord]
    """Questions (answered or not), oldest first."""
    journal: Sequence[JournalRecord] = ()
    """Journaled agent calls, by node path, then index."""
    shared: Sequence[SharedRecord] = ()
    """The run's nodes' writes of shared memory (every scope), by version."""


@runtime_checkable
class Store(Protocol):
    """Where runs are checkpointed. All methods are safe to call from one event loop.

    Writes are ``put_*`` (runs, outputs, failures, questions, journaled agent calls,
    conversation turns), reads are ``load``, ``load_thread``, ``list_runs`` and
    ``leases``, and a lease (``acquire``/``renew``/``release``) keeps one process per run.

    A write given a ``lease`` is fenced: in the write's own transaction the store checks
    that the lease is still the stored one (same owner and token), and refuses the write
    with ``LeaseLostError`` when it was taken over or released (docs/adr-017).
    """

    async def open(self) -> None:
        """Connect and create or check the schema.

        Raises:
            StoreError: when the stored schema is not ``SCHEMA_VERSION``.
        """
        ...

    async def close(self) -> None:
        """Release connections; the store can be opened again."""
        ...

    async def put_run(self, record: RunRecord, *, lease: Lease | None = None) -> None:
        """Record a new run, or a new status, error and ``updated_at`` of a stored one.

        Raises:
            StoreError: when the id is taken by a run with other fixed fields (graph,
                content hash, canonical form, inputs, ``created_at``, parent).
            LeaseLostError: when ``lease`` is no longer the run's (as for every write).
        """
        ...

    async def put_outputs(
        self,
        records: Sequence[OutputRecord],
        shared: Sequence[SharedRecord] = (),
        *,
        lease: Lease | None = None,
    ) -> None:
        """Commit outputs in one transaction, all or none; the last one of a node wins.
        ``shared`` are the nodes' writes of shared memory, committed in the same
        transaction (each replaces the same node's write of the key, with a new version).
        A write with an ``update`` stores ``write.applied(latest)``: the key's latest
        value read in the same transaction while holding the key against concurrent
        updates (``SharedMemory.update``).

        Raises:
            CorruptRecordError: when a record's bytes do not match its checksum.
            StoreError: when a record's run does not exist, or is not ``lease``'s run.
        """
        ...

    async def put_failure(self, record: FailureRecord, *, lease: Lease | None = None) -> None:
        """Append a failed attempt.

        Raises:
            StoreError: when the run does not exist.
        """
        ...

    async def put_interrupt(self, record: InterruptRecord, *, lease: Lease | None = None) -> None:
        """Record a question, or its answer in place (same node and key).

        Raises:
            StoreError: when the run does not exist.
        """
        ...

    async def put_journal(
        self,
        run_id: str,
        records: Sequence[JournalRecord],
        discard: Sequence[str] = (),
        *,
        lease: Lease | None = None,
    ) -> None:
        """In one transaction: forget the journal of the nodes in ``discard``, then write
        ``records`` (the last one of a node and index wins).

        Raises:
            CorruptRecordError: when a record's bytes do not match its checksum.
            StoreError: when a record is not of run ``run_id``, or the run does not exist.
        """
        ...

    async def put_thread(self, record: ThreadRecord, *, lease: Lease | None = None) -> None:
        """Append a turn to its thread; a turn with the same thread, run and node is
        replaced in place (its place and ``created_at`` kept), so a retried or resumed
        node never appends twice.

        Raises:
            CorruptRecordError: when the record's bytes do not match its checksum.
            StoreError: when the record's run does not exist.
        """
        ...

    async def load_thread(self, thread_id: str) -> Sequence[ThreadRecord]:
        """Thread ``thread_id``'s turns in append order (empty for an unknown thread).

        Raises:
            CorruptRecordError: when a turn's bytes do not match its checksum.
        """
        ...

    async def load_shared(self, scope: str, owner: str, key: str) -> SharedRecord | None:
        """The last committed write of a shared memory key (highest version), or None.

        Raises:
            CorruptRecordError: when its bytes do not match its checksum.
        """
        ...

    async def load(self, run_id: str) -> StoredRun | None:
        """The run and everything recorded for it, or None when there is no such run.

        Raises:
            CorruptRecordError: when an output's or journal entry's bytes do not match
                their checksum.
        """
        ...

    async def list_runs(self, limit: int = 50) -> Sequence[RunRecord]:
        """The most recent runs, newest first."""
        ...

    async def acquire(
        self, run_id: str, owner: str, ttl: float, now: float, *, take_from: str | None = None
    ) -> Lease:
        """Take the run's lease for ``ttl`` seconds (a new token), or renew it if ``owner``
        holds it (the same token). ``take_from`` takes it from that holder even unexpired
        (a dead process's, or ``--force``), and only from that holder.

        Raises:
            RunLockedError: when another owner holds an unexpired lease.
        """
        ...

    async def renew(self, lease: Lease, ttl: float, now: float) -> Lease:
        """Extend ``lease`` to ``now + ttl``, keeping its token, expired or not.

        Raises:
            LeaseLostError: when the stored lease is no longer ``lease`` (taken or given up).
        """
        ...

    async def release(self, run_id: str, owner: str) -> None:
        """Give the lease back (no-op when ``owner`` does not hold it); the next owner
        gets the next token."""
        ...

    async def leases(self, run_ids: Sequence[str]) -> Mapping[str, Lease]:
        """The held leases of these runs (expired ones included, released ones not)."""
        ...
