"""Checkpointing a run into a store: commits, failures, questions, leases, restores."""

from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, NoReturn, cast

import anyio
import anyio.lowlevel

from plait.engine._graph_change import GraphChangedError, describe_change
from plait.engine._group_commit import GroupCommit
from plait.engine._journal import kept_journal
from plait.engine._outputs import shown
from plait.engine._store_faults import as_store_error, guarded
from plait.engine._stored_records import (
    decoded_inputs,
    decoded_outputs,
    described,
    stored_description,
)
from plait.engine._takeover import take_lease
from plait.engine.stores._codec import DecodeError, decode, encode
from plait.engine.stores._lease import new_owner
from plait.engine.stores._protocol import (
    CorruptRecordError,
    FailureRecord,
    InterruptRecord,
    JournalRecord,
    Lease,
    OutputRecord,
    RunRecord,
    SharedRecord,
    Store,
    StoredStatus,
    StoreError,
)
from plait.engine.stores._writes_now import WritesNow
from plait.graphs import Graph, HumanNode
from plait.nodes import JournalEntry, NodeOutputError, RunError, Secrets, type_name

__all__ = [
    "Checkpointer",
    "Durability",
    "GraphChangedError",
    "Question",
    "RunWaitingError",
    "describe_change",
]

Durability = Literal["sync", "async", "exit"]
"""``sync``: a node's output is committed before its dependents start. ``async``:
commits run in the background (a crash can lose the last few). ``exit``: outputs are
committed when the run ends, fails or waits (a crash loses them all)."""


@dataclass(frozen=True, slots=True)
class Question:
    """What a waiting run asks: the node, the question, the JSON Schema of the answer."""

    node: str
    question: str
    schema: Mapping[str, object]


class RunWaitingError(RunError):
    """The run is waiting for answers; ``questions`` says what it asks."""

    def __init__(self, *, run_id: str, questions: Sequence[Question]) -> None:
        self.questions = tuple(questions)
        asked = "; ".join(f"`{item.node}`: {item.question}" for item in self.questions)
        super().__init__(f"run {run_id} is waiting for input: {asked}", run_id=run_id)


def _schema(kind: Any) -> Mapping[str, object]:
    from pydantic import TypeAdapter

    try:
        schema: Mapping[str, object] = TypeAdapter(kind).json_schema()
    except Exception:  # an annotation pydantic cannot describe: accept any JSON
        return {}
    return schema


def idempotency_key(run_id: str, node: str, inputs: Mapping[str, object]) -> str:
    """Stable for one node execution across retries and resumes: run, path, inputs."""
    try:
        payload = encode(dict(inputs))
    except TypeError:
        payload = repr(sorted(inputs.items())).encode()
    digest = hashlib.sha256()
    for part in (run_id.encode(), b"\0", node.encode(), b"\0", payload):
        digest.update(part)
    return digest.hexdigest()


class Checkpointer:
    """One run's link to its store; the scheduler calls it at each commit point.

    It is also the run's effect journal (``Journal``): ``recall`` answers from what the
    store held when the run was reopened and from what this run has recorded since (so a
    retried attempt replays too); ``record`` is a durable write like a commit.

    A store that fails mid-run (disk full, connection lost, lease taken) stops the run:
    the failing write records the ``StoreError`` as ``fault`` and calls ``abort``, which
    cancels the run's nodes; ``supervise`` then records the run ``failed`` (when the store
    still can) and raises the ``StoreError``. Committed outputs stay, so the run resumes.
    """

    def __init__(
        self,
        store: Store,
        graph: Graph[object],
        run_id: str,
        mode: Durability,
        wall: Callable[[], float],
        lease: float,
    ) -> None:
        self.store = store
        self.graph = graph
        self.run_id = run_id
        self.mode = mode
        self.wall = wall
        self.lease = lease
        self.owner = new_owner()
        self.held: Lease | None = None
        """The run's lease once taken: every write is fenced by it (docs/adr-017)."""
        self.run_record: RunRecord | None = None
        self.buffer: list[OutputRecord] = []
        now = store.put_outputs_now if isinstance(store, WritesNow) else None
        self.commits = GroupCommit(self._put_batch, None if now is None else self._put_now)
        self.shared_buffer: list[SharedRecord] = []
        self.answers: dict[str, bytes] = {}
        self.asked: set[str] = set()
        self.questions: list[Question] = []
        self.staged: dict[str, bytes] = {}
        self.fault: StoreError | None = None
        self.calls: dict[tuple[str, int], JournalEntry] = {}
        self.abort: Callable[[], None] = lambda: None
        """Stops the run after a fault (the scheduler sets it)."""
        self.secrets = Secrets()
        """Masked in every value and message written (``engine._secrets.run_secrets``)."""

    def encode(self, value: object, declared: object = None) -> bytes:
        """``value`` (of type ``declared``, when given) as stored: JSON with the run's
        secrets masked.

        Raises:
            TypeError: when the value has a type that cannot be encoded, or would not read
                back as ``declared`` (``object`` parts hold plain JSON only).
        """
        data = encode(value) if declared is None else encode(value, declared)
        return self.secrets.mask_json(data)

    async def start(self, inputs: Mapping[str, object], parent: str | None = None) -> None:
        """Record a new run and take its lease."""
        now = self.wall()
        self.run_record = RunRecord(
            run_id=self.run_id,
            graph=self.graph.name,
            content_hash=self.graph.content_hash,
            canonical=described(self.graph),
            inputs=self.encode(dict(inputs)),
            status=StoredStatus.RUNNING,
            created_at=now,
            updated_at=now,
            parent_run=parent,
        )
        # Shielded: a run recorded is a run leased (and settled when cancelled), never one
        # left ``running`` under a lease nobody releases (a cancellation waits for both).
        with anyio.CancelScope(shield=True):
            await guarded(f"record run {self.run_id}", self.store.put_run(self.run_record))
            lease = take_lease(
                self.store, self.run_id, self.owner, self.lease, now, take_over=False
            )
            self.held = await guarded(f"take the lease of run {self.run_id}", lease)

    async def reopen(
        self, force: bool, fresh: Sequence[str] = (), take_over: bool = False
    ) -> tuple[dict[str, object], dict[str, object]]:
        """Take the lease of an existing run; return its inputs and restored outputs.

        The lease is taken before the run is read, so an owner it was taken from cannot
        commit anything this run then misses (its writes are fenced). The journal of each
        node in ``fresh`` (and of the nodes inside it) is discarded, so those agents start
        over; every other journaled call is replayed when asked.

        Raises:
            RunError: when there is no such run.
            GraphChangedError: when the graph changed and ``force`` is not set.
            RunLockedError: when another process holds the run (unless ``take_over``).
            CorruptRecordError: when a stored output fails its checksum or decoding.
        """
        now = self.wall()
        with anyio.CancelScope(shield=True):  # a lease taken is a lease released (below)
            self.held = await take_lease(
                self.store, self.run_id, self.owner, self.lease, now, take_over=take_over
            )
        try:
            return await self._reopen(force, fresh)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await self.store.release(self.run_id, self.owner)
            raise

    async def _reopen(
        self, force: bool, fresh: Sequence[str]
    ) -> tuple[dict[str, object], dict[str, object]]:
        stored = await self.store.load(self.run_id)
        if stored is None:
            raise RunError(f"run {self.run_id} is not in the store", run_id=self.run_id)
        record = stored.run
        if record.content_hash != self.graph.content_hash and not force:
            change = describe_change(stored_description(record), self.graph.canonical())
            raise GraphChangedError(
                f"run {self.run_id} started under another version of graph "
                f"`{record.graph}`: {change}. Resume with the original graph, or force it "
                "(force=True / --force) to reuse the committed outputs anyway"
            )
        self.run_record = replace(
            record, status=StoredStatus.RUNNING, updated_at=self.wall(), error=None
        )
        await self.store.put_run(self.run_record, lease=self.held)
        inputs = self.decode_inputs(record.inputs)
        self.calls = await kept_journal(self, stored, fresh)
        for item in stored.interrupts:
            if item.answer is not None:
                self.answers[item.node] = item.answer
            self.asked.add(item.node)
        return inputs, self.decode_outputs(stored.outputs)

    async def recall(self, node: str, index: int) -> JournalEntry | None:
        """The call ``index`` of ``node`` as journaled (stored, or recorded by this run)."""
        return self.calls.get((node, index))

    async def record(self, entry: JournalEntry) -> None:
        """Journal one agent call durably before the agent goes on (a failed write stops
        the run, as a failed commit does)."""
        put = self.store.put_journal(
            self.run_id, [JournalRecord.of(self.run_id, entry, self.wall())], lease=self.held
        )
        await self.write(f"journal call {entry.index} of node `{entry.node}`", put)
        self.calls[entry.node, entry.index] = entry

    def masked(self, data: bytes) -> bytes:
        """``data`` (JSON) with the run's secrets masked: what the journal keeps."""
        return self.secrets.mask_json(data)

    def decode_inputs(self, data: bytes) -> dict[str, object]:
        """The run's stored inputs (see ``decoded_inputs``)."""
        return decoded_inputs(self.run_id, self.graph.inputs, data)

    def decode_outputs(self, outputs: Mapping[str, OutputRecord]) -> dict[str, object]:
        """The committed outputs, by node path (see ``decoded_outputs``)."""
        return decoded_outputs(self.run_id, self.graph, outputs)

    async def renew(self) -> None:
        """Keep the lease while the run goes (a heartbeat: a dead process stops renewing).

        A renewal that finds the lease taken over stops the run with ``LeaseLostError``.
        """
        while True:
            await anyio.sleep(self.lease / 3)
            try:
                await self.write(f"renew the lease of run {self.run_id}", self._renew())
            except StoreError:  # outside the run's scope: the fault and abort stop the run
                return

    async def _renew(self) -> None:
        if self.held is not None:
            self.held = await self.store.renew(self.held, self.lease, self.wall())

    async def write(self, doing: str, call: Awaitable[None]) -> None:
        """Make a mid-run write; if it fails, stop the run (see the class docstring).

        A lease that lapsed (the event loop was blocked past it) is renewed first; if
        another process took it meanwhile, that renewal fails with ``LeaseLostError``.

        Raises:
            StoreError: when the write fails and the caller is not inside the run's scope
                (inside it, the run's cancellation is raised instead).
        """
        try:
            if self.held is not None and self.wall() >= self.held.expires_at:
                await self._renew()
            await call
        except Exception as error:
            if inspect.iscoroutine(call):
                call.close()  # never awaited when the renewal failed
            await self._failed(doing, error)

    async def _failed(self, doing: str, error: Exception) -> NoReturn:
        fault = as_store_error(doing, error)
        if self.fault is None:
            self.fault = fault
        self.abort()
        await anyio.lowlevel.checkpoint()  # the run is cancelled now: this raises that
        raise fault from error

    def stage(self, node: str, declared: object, value: object) -> None:
        """Encode a node's output for its ``commit``, while the node can still fail.

        Raises:
            NodeOutputError: when the value cannot be stored.
        """
        try:
            self.staged[node] = self.encode(value, declared)
        except TypeError as error:
            raise NodeOutputError(
                run_id=self.run_id,
                node=node,
                expected=type_name(declared),
                got=shown(value),
                reason=f"it cannot be checkpointed ({error})",
            ) from None

    async def commit(self, node: str, attempt: int, shared: Sequence[SharedRecord] = ()) -> None:
        """Store one node's staged output, and its shared memory writes with it (one
        transaction), as the mode says."""
        now = self.wall()
        record = OutputRecord.of(self.run_id, node, attempt, self.staged.pop(node), now)
        if self.mode == "exit":
            self.buffer.append(record)
            self.shared_buffer.extend(shared)
            return
        doing = "commit the output of node `{}`"
        if not shared and (self.held is None or now < self.held.expires_at):
            try:  # at once when the store can (``WritesNow``): nothing awaited, no shield
                if self.commits.put_now(record):
                    return
            except Exception as error:
                await self._failed(doing.format(node), error)
        # Shared memory writes go in the output's own transaction; outputs without them
        # share a transaction with concurrent commits.
        if shared:
            put = self.store.put_outputs([record], shared, lease=self.held)
        else:
            put = self.commits.put(record)
        await self.write(doing.format(node), put)

    async def _put_batch(self, records: Sequence[OutputRecord]) -> None:
        await self.store.put_outputs(records, lease=self.held)  # fenced by the lease held now

    def _put_now(self, records: Sequence[OutputRecord]) -> bool:
        return cast(WritesNow, self.store).put_outputs_now(records, lease=self.held)

    async def failed(self, node: str, attempt: int, error: BaseException) -> None:
        record = FailureRecord(
            self.run_id,
            node,
            attempt,
            type(error).__name__,
            self.secrets.mask(str(error)),
            self.wall(),
        )
        put = self.store.put_failure(record, lease=self.held)
        await self.write(f"record the failure of node `{node}`", put)

    async def ask(self, node: HumanNode, inputs: Mapping[str, object]) -> object | None:
        """The stored answer for a human node, or None after recording its question."""
        data = self.answers.get(node.id)
        if data is not None:
            try:
                return decode(data, node.output)
            except DecodeError as error:
                raise CorruptRecordError(self.run_id, node.id, str(error)) from None
        text = node.question.format_map(dict(inputs))
        schema = _schema(node.output)
        self.questions.append(Question(node.id, text, schema))
        if node.id not in self.asked:
            record = InterruptRecord(
                self.run_id, node.id, "answer", text, json.dumps(schema), None, self.wall()
            )
            put = self.store.put_interrupt(record, lease=self.held)
            await self.write(f"record the question of `{node.id}`", put)
        return None

    async def finish(self, status: StoredStatus, error: str | None) -> None:
        """Flush buffered outputs, record the end state, release the lease."""
        if self.buffer:
            await self.store.put_outputs(self.buffer, self.shared_buffer, lease=self.held)
            self.buffer.clear()
            self.shared_buffer.clear()
        if self.run_record is None:
            raise RuntimeError(f"run {self.run_id}: finish() before start() or reopen()")
        masked = None if error is None else self.secrets.mask(error)
        ended = replace(self.run_record, status=status, updated_at=self.wall(), error=masked)
        self.run_record = ended
        await self.store.put_run(self.run_record, lease=self.held)
        await self.store.release(self.run_id, self.owner)
