"""The in-memory store: dictionaries, for tests and runs that need no durability."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable, Mapping, Sequence
from types import TracebackType

from plait.engine.stores._checks import (
    RELEASED,
    check_fence,
    journal_batch,
    last_per_node,
    no_such_run,
    run_exists,
    same_run,
    verified,
    verified_call,
    verified_shared,
    verified_turn,
)
from plait.engine.stores._protocol import (
    SCHEMA_VERSION,
    FailureRecord,
    InterruptRecord,
    JournalRecord,
    Lease,
    OutputRecord,
    RunLockedError,
    RunRecord,
    SharedRecord,
    StoredRun,
    StoredStatus,
    ThreadRecord,
)

__all__ = ["MemoryStore"]


class MemoryStore:
    """A ``Store`` kept in this process's memory; it forgets everything when dropped.

    It behaves exactly like the durable stores (the same errors, orders and checksum
    checks), so tests written against it hold for them. Closing keeps the data: open it
    again and it is all there.
    """

    def __init__(self) -> None:
        self._runs: dict[str, RunRecord] = {}
        self._order: dict[str, int] = {}
        self._outputs: dict[str, dict[str, OutputRecord]] = {}
        self._failures: dict[str, list[FailureRecord]] = {}
        self._interrupts: dict[str, dict[tuple[str, str], InterruptRecord]] = {}
        self._journal: dict[str, dict[tuple[str, int], JournalRecord]] = {}
        self._threads: dict[str, dict[tuple[str, str], ThreadRecord]] = {}
        self._leases: dict[str, Lease] = {}
        self._shared: dict[tuple[str, str, str, str, str], SharedRecord] = {}
        self._versions = itertools.count(1)
        self._sequence = itertools.count()

    def __repr__(self) -> str:
        return f"MemoryStore(runs={len(self._runs)})"

    async def __aenter__(self) -> MemoryStore:
        await self.open()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def open(self) -> None:
        """Nothing to connect to."""

    async def close(self) -> None:
        """Nothing to release; the data stays."""

    async def migrate(self) -> int:
        """Nothing to migrate: returns the schema version, as the durable stores do."""
        return SCHEMA_VERSION

    async def put_run(self, record: RunRecord, *, lease: Lease | None = None) -> None:
        """Record a new run, or a new status, error and ``updated_at`` of a stored one.

        Raises:
            StoreError: when the id is taken by a run with other fixed fields.
        """
        self._fence(lease, [record.run_id])
        stored = self._runs.get(record.run_id)
        if stored is None:
            self._order[record.run_id] = next(self._sequence)
        elif not same_run(stored, record):
            raise run_exists(record.run_id)
        self._runs[record.run_id] = dataclasses.replace(
            record, status=StoredStatus(record.status), inputs=bytes(record.inputs)
        )

    async def put_outputs(
        self,
        records: Sequence[OutputRecord],
        shared: Sequence[SharedRecord] = (),
        *,
        lease: Lease | None = None,
    ) -> None:
        """Commit outputs and shared memory writes at once: all, or none when one is
        refused.

        Raises:
            CorruptRecordError: when a record's checksum does not match its bytes.
            StoreError: when a record's run does not exist.
        """
        self._put_outputs(records, shared, lease)

    def put_outputs_now(
        self, records: Sequence[OutputRecord], *, lease: Lease | None = None
    ) -> bool:
        """Commit outputs at once (``WritesNow``): a memory store never waits, so True.

        Raises:
            CorruptRecordError: when a record's checksum does not match its bytes.
            StoreError: when a record's run does not exist.
        """
        self._put_outputs(records, (), lease)
        return True

    def _put_outputs(
        self,
        records: Sequence[OutputRecord],
        shared: Sequence[SharedRecord],
        lease: Lease | None,
    ) -> None:
        kept = last_per_node(records)
        writes = [verified_shared(record) for record in shared]
        runs = [record.run_id for record in kept] + [write.run_id for write in writes]
        self._fence(lease, runs)
        missing = [run_id for run_id in runs if run_id not in self._runs]
        if missing:
            raise no_such_run(missing, "store outputs")
        writes = self._applied(writes)  # before anything is stored: an update may raise
        for record in kept:
            self._outputs.setdefault(record.run_id, {})[record.node] = record
        for write in writes:
            place = (write.scope, write.owner, write.key, write.run_id, write.node)
            self._shared.pop(place, None)  # a rewrite moves to the end: a new version
            version = next(self._versions)
            self._shared[place] = dataclasses.replace(
                write, data=bytes(write.data), version=version
            )

    def _applied(self, writes: Sequence[SharedRecord]) -> list[SharedRecord]:
        """``writes`` with each update computed from the value before it (nothing stored
        yet: an update that raises leaves the store as it was)."""
        latest: dict[tuple[str, str, str], bytes] = {}
        applied: list[SharedRecord] = []
        for write in writes:
            where = (write.scope, write.owner, write.key)
            if write.update is not None and where not in latest:
                for place, record in self._shared.items():
                    if place[:3] == where:
                        latest[where] = record.data
            write = write.applied(latest.get(where))
            latest[where] = write.data
            applied.append(write)
        return applied

    async def load_shared(self, scope: str, owner: str, key: str) -> SharedRecord | None:
        """The last committed write of a shared memory key, or None.

        Raises:
            CorruptRecordError: when its bytes do not match its checksum.
        """
        found = None
        for place, record in self._shared.items():
            if place[:3] == (scope, owner, key):
                found = record
        return None if found is None else verified_shared(found)

    async def put_failure(self, record: FailureRecord, *, lease: Lease | None = None) -> None:
        """Append a failed attempt.

        Raises:
            StoreError: when there is no such run.
        """
        self._fence(lease, [record.run_id])
        self._existing(record.run_id, f"record a failure of node `{record.node}`")
        self._failures.setdefault(record.run_id, []).append(record)

    async def put_interrupt(self, record: InterruptRecord, *, lease: Lease | None = None) -> None:
        """Record a question, or update it (its answer) for the same node and key.

        An update keeps the question's place and ``created_at``.

        Raises:
            StoreError: when there is no such run.
        """
        self._fence(lease, [record.run_id])
        self._existing(record.run_id, f"record an interrupt of node `{record.node}`")
        stored = self._interrupts.setdefault(record.run_id, {})
        earlier = stored.get((record.node, record.key))
        if earlier is not None:
            record = dataclasses.replace(record, created_at=earlier.created_at)
        stored[record.node, record.key] = record

    async def put_journal(
        self,
        run_id: str,
        records: Sequence[JournalRecord],
        discard: Sequence[str] = (),
        *,
        lease: Lease | None = None,
    ) -> None:
        """Forget the journal of the nodes in ``discard``, then write ``records``; all of
        it, or nothing when a record is refused.

        Raises:
            CorruptRecordError: when a record's checksum does not match its bytes.
            StoreError: when a record is of another run, or the run does not exist.
        """
        kept = journal_batch(run_id, records)
        self._fence(lease, [run_id])
        self._existing(run_id, "journal agent calls")
        stored = self._journal.setdefault(run_id, {})
        dropped = set(discard)
        for key in [key for key in stored if key[0] in dropped]:
            del stored[key]
        for record in kept:
            stored[record.node, record.index] = record

    async def put_thread(self, record: ThreadRecord, *, lease: Lease | None = None) -> None:
        """Append a turn to its thread, or replace the turn of the same thread, run and
        node in place (keeping its ``created_at``).

        Raises:
            CorruptRecordError: when the record's checksum does not match its bytes.
            StoreError: when the run does not exist.
        """
        verified_turn(record)
        self._fence(lease, [record.run_id])
        self._existing(record.run_id, f"append to thread `{record.thread_id}`")
        turns = self._threads.setdefault(record.thread_id, {})
        earlier = turns.get((record.run_id, record.node))
        if earlier is not None:
            record = dataclasses.replace(record, created_at=earlier.created_at)
        turns[record.run_id, record.node] = dataclasses.replace(
            record, messages=bytes(record.messages)
        )

    async def load_thread(self, thread_id: str) -> Sequence[ThreadRecord]:
        """Thread ``thread_id``'s turns in append order (empty for an unknown thread).

        Raises:
            CorruptRecordError: when a turn's bytes do not match its checksum.
        """
        return [verified_turn(turn) for turn in self._threads.get(thread_id, {}).values()]

    async def load(self, run_id: str) -> StoredRun | None:
        """The run and its records (see ``StoredRun``), or None when there is no such run.

        Outputs are in commit order; failures and interrupts by ``created_at``, then
        recording order.

        Raises:
            CorruptRecordError: when an output's or a journaled call's bytes do not match
                their checksum.
        """
        record = self._runs.get(run_id)
        if record is None:
            return None
        outputs = sorted(self._outputs.get(run_id, {}).values(), key=_commit_order)
        failures = self._failures.get(run_id, [])
        interrupts = self._interrupts.get(run_id, {}).values()
        return StoredRun(
            record,
            {output.node: verified(output) for output in outputs},
            sorted(failures, key=lambda failure: failure.created_at),
            sorted(interrupts, key=lambda interrupt: interrupt.created_at),
            [verified_call(item) for _, item in sorted(self._journal.get(run_id, {}).items())],
            [verified_shared(item) for item in self._shared.values() if item.run_id == run_id],
        )

    async def list_runs(self, limit: int = 50) -> Sequence[RunRecord]:
        """The most recent runs (by ``created_at``, then creation order), newest first."""
        newest = sorted(
            self._runs.values(),
            key=lambda run: (run.created_at, self._order[run.run_id]),
            reverse=True,
        )
        return newest[: max(limit, 0)]

    async def acquire(
        self, run_id: str, owner: str, ttl: float, now: float, *, take_from: str | None = None
    ) -> Lease:
        """Take the run's lease (a new token), renew it when ``owner`` holds it, or take it
        from ``take_from`` (see ``Store.acquire``).

        Raises:
            RunLockedError: when another owner holds a lease that expires after ``now``.
        """
        held = self._leases.get(run_id)
        token = 1
        if held is not None:
            mine = held.owner == owner
            if not mine and held.expires_at > now and held.owner != take_from:
                raise RunLockedError(run_id, held.owner, held.expires_at - now)
            token = held.token if mine else held.token + 1
        self._leases[run_id] = Lease(run_id, owner, token, now + ttl)
        return self._leases[run_id]

    async def renew(self, lease: Lease, ttl: float, now: float) -> Lease:
        """Extend ``lease``, keeping its token.

        Raises:
            LeaseLostError: when the stored lease is no longer ``lease``.
        """
        held = self._leases.get(lease.run_id)
        check_fence(lease, None if held is None else (held.owner, held.token))
        self._leases[lease.run_id] = dataclasses.replace(lease, expires_at=now + ttl)
        return self._leases[lease.run_id]

    async def release(self, run_id: str, owner: str) -> None:
        """Give the lease back (no-op when ``owner`` does not hold it); its token stays."""
        held = self._leases.get(run_id)
        if held is not None and held.owner == owner:
            self._leases[run_id] = Lease(run_id, RELEASED, held.token, 0.0)

    async def leases(self, run_ids: Sequence[str]) -> Mapping[str, Lease]:
        """The held leases of these runs (expired ones included, released ones not)."""
        found = (self._leases.get(run_id) for run_id in run_ids)
        return {lease.run_id: lease for lease in found if lease and lease.owner != RELEASED}

    def _fence(self, lease: Lease | None, run_ids: Iterable[str]) -> None:
        if lease is not None:
            held = self._leases.get(lease.run_id)
            check_fence(lease, None if held is None else (held.owner, held.token), run_ids)

    def _existing(self, run_id: str, doing: str) -> RunRecord:
        record = self._runs.get(run_id)
        if record is None:
            raise no_such_run([run_id], doing)
        return record


def _commit_order(record: OutputRecord) -> tuple[float, str]:
    return (record.created_at, record.node)
