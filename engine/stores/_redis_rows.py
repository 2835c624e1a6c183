"""The Redis store's records as sealed values: the one place to change when the record
format changes.

Each value is its record's fields (``_redis_records.pack``) followed by their seal: the
``Sealer``'s 16 bytes over every field of the record, the ones Redis keeps in the key or
field name included (the run id, a node), in the same kinds and order as the SQL stores'
rows (``_rows``, docs/adr-024-record-format.md). A value is read back field by field, its
seal checked before a record is built; either failing is a ``CorruptRecordError`` naming
the run and the record.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from plait.engine.stores._checks import stored_status
from plait.engine.stores._errors import CorruptRecordError
from plait.engine.stores._protocol import (
    FailureRecord,
    InterruptRecord,
    JournalRecord,
    OutputRecord,
    RunRecord,
    SharedRecord,
    StoredStatus,
    ThreadRecord,
    checksum,
    journal_checksum,
)
from plait.engine.stores._redis_records import Field, Reader, joined, pack
from plait.engine.stores._seal import Sealer, deflate, inflate

__all__ = [
    "failure_record",
    "failure_value",
    "graph_value",
    "interrupt_head",
    "interrupt_record",
    "interrupt_value",
    "journal_record",
    "journal_value",
    "output_record",
    "output_value",
    "run_content_hash",
    "run_fixed",
    "run_record",
    "run_state",
    "shared_field",
    "shared_record",
    "shared_value",
    "thread_head",
    "thread_record",
    "thread_value",
]


def _sealed(sealer: Sealer, kind: bytes, fields: tuple[Field, ...], kept: int = 0) -> bytes:
    """The value of a record: ``fields[kept:]`` (the first ``kept`` live in the key),
    then the seal over all of them."""
    return pack(*fields[kept:], sealer.seal(kind, *fields))


@contextmanager
def reading(run_id: str, record: str) -> Iterator[None]:
    """A value not laid out as the store writes it: a corrupt ``record`` of ``run_id``."""
    try:
        yield
    except ValueError as error:  # a RecordFormatError, or a score that is not a number
        reason = f"the stored value is unreadable: {error}"
        raise CorruptRecordError(run_id, "", reason, record=record) from None


def _check(
    sealer: Sealer, read: Reader, kind: bytes, fields: tuple[Field, ...], where: tuple[str, ...]
) -> None:
    seal = read.data()
    read.end()
    run_id, node, record = where
    sealer.check(seal, kind, fields, (run_id, node, record))


def run_fixed(record: RunRecord, sealer: Sealer) -> bytes:
    """What a run is, sealed with its graph description: compared byte for byte by
    ``put_run`` (equal seals, equal fixed fields)."""
    fields = (record.run_id, record.graph, record.content_hash, bytes(record.inputs),
              float(record.created_at), record.parent_run)  # fmt: skip
    return pack(*fields[1:], sealer.seal(b"run", *fields, record.canonical))


def run_state(record: RunRecord, sealer: Sealer) -> bytes:
    """Where a run stands: status, ``updated_at`` and error, sealed."""
    state = (StoredStatus(record.status).value, float(record.updated_at), record.error)
    return _sealed(sealer, b"state", (record.run_id, *state), kept=1)


def graph_value(content_hash: str, canonical: str, sealer: Sealer) -> bytes:
    """A graph description, compressed and sealed: stored once per content hash."""
    packed = deflate(canonical)
    return _sealed(sealer, b"graph", (content_hash, packed), kept=1)


def run_content_hash(run_id: str, fixed: object) -> str:
    """The content hash a run's fixed value names (to read its graph description)."""
    with reading(run_id, "run row"):
        read = Reader(fixed)
        read.text()
        return read.text()


def run_record(
    run_id: str, fixed: object, state: object, graph: object, sealer: Sealer
) -> RunRecord:
    """The run its stored values hold, every seal checked."""
    with reading(run_id, "run row"):
        what = Reader(fixed)
        name, content_hash, inputs = what.text(), what.text(), what.data()
        created, parent = what.number(), what.maybe_text()
        fixed_read = what
    with reading(run_id, "graph description"):
        read = Reader(graph)
        packed = read.data()
        _check(sealer, read, b"graph", (content_hash, packed), (run_id, "", "graph description"))
    canonical = inflate(packed, run_id, "graph description")
    fields = (run_id, name, content_hash, inputs, created, parent, canonical)
    with reading(run_id, "run row"):
        _check(sealer, fixed_read, b"run", fields, (run_id, "", "run row"))
    with reading(run_id, "run state"):
        where = Reader(state)
        status, updated, error = where.text(), where.number(), where.maybe_text()
        _check(sealer, where, b"state", (run_id, status, updated, error), (run_id, "", "run state"))
    return RunRecord(
        run_id, name, content_hash, canonical, inputs, stored_status(status, run_id), created,
        updated, error, parent,
    )  # fmt: skip


def output_value(record: OutputRecord, sealer: Sealer) -> bytes:
    fields = (record.run_id, record.node, record.attempt, bytes(record.data),
              float(record.created_at))  # fmt: skip
    return _sealed(sealer, b"output", fields, kept=2)


def output_record(run_id: str, node: str, value: object, sealer: Sealer) -> OutputRecord:
    named = f"output of node `{node}`"
    with reading(run_id, named):
        read = Reader(value)
        attempt, data, created = read.integer(), read.data(), read.number()
        _check(
            sealer, read, b"output", (run_id, node, attempt, data, created), (run_id, node, named)
        )
    return OutputRecord(run_id, node, attempt, data, checksum(data), created)


def failure_value(record: FailureRecord, sealer: Sealer) -> bytes:
    fields = (record.run_id, record.node, record.attempt, record.error_type, record.message,
              float(record.created_at))  # fmt: skip
    return _sealed(sealer, b"failure", fields, kept=1)


def failure_record(run_id: str, value: object, sealer: Sealer) -> FailureRecord:
    with reading(run_id, "failure of `?`"):
        read = Reader(value)
        node, attempt, error_type = read.text(), read.integer(), read.text()
        message, created = read.text(), read.number()
        fields = (run_id, node, attempt, error_type, message, created)
        _check(sealer, read, b"failure", fields, (run_id, node, f"failure of `{node}`"))
    return FailureRecord(run_id, node, attempt, error_type, message, created)


def interrupt_head(record: InterruptRecord) -> bytes:
    """Where a question sits: node, key and ``created_at``, kept when it is answered
    (sealed with the question's value, ``created_at`` aside as in the SQL stores)."""
    return pack(record.node, record.key, float(record.created_at))


def interrupt_value(record: InterruptRecord, sealer: Sealer) -> bytes:
    answer = None if record.answer is None else bytes(record.answer)
    fields = (record.run_id, record.node, record.key, record.question, record.schema, answer)
    return _sealed(sealer, b"interrupt", fields, kept=3)


def interrupt_record(
    run_id: str, head: object, values: dict[str, object], sealer: Sealer
) -> InterruptRecord:
    """The question ``head`` names, with its value from ``values`` (by ``joined`` field)."""
    with reading(run_id, "question of `?`"):
        where = Reader(head)
        node, key, created = where.text(), where.text(), where.number()
        where.end()
    named = f"question of `{node}`"
    with reading(run_id, named):
        read = Reader(values.get(joined(node, key)))
        question, schema, answer = read.text(), read.text(), read.maybe_data()
        fields = (run_id, node, key, question, schema, answer)
        _check(sealer, read, b"interrupt", fields, (run_id, node, named))
    return InterruptRecord(run_id, node, key, question, schema, answer, created)


def journal_value(record: JournalRecord, sealer: Sealer) -> bytes:
    fields = (record.run_id, record.node, record.index, record.kind, record.request_hash,
              bytes(record.request), bytes(record.response), float(record.created_at))  # fmt: skip
    return _sealed(sealer, b"journal", fields, kept=1)


def journal_record(run_id: str, value: object, sealer: Sealer) -> JournalRecord:
    with reading(run_id, "journal entry of node `?`"):
        read = Reader(value)
        node, index, kind, digest = read.text(), read.integer(), read.text(), read.text()
        request, response, created = read.data(), read.data(), read.number()
        fields = (run_id, node, index, kind, digest, request, response, created)
        named = f"journal entry of node `{node}` call `{index}`"
        _check(sealer, read, b"journal", fields, (run_id, node, named))
    return JournalRecord(
        run_id, node, index, kind, digest, request, response,
        journal_checksum(request, response), created,
    )  # fmt: skip


def thread_head(record: ThreadRecord) -> bytes:
    """Where a turn sits in its thread: run, node and ``created_at``, kept on replace."""
    return pack(record.run_id, record.node, float(record.created_at))


def thread_value(record: ThreadRecord, sealer: Sealer) -> bytes:
    fields = (record.thread_id, record.run_id, record.node, record.messages_after,
              bytes(record.messages))  # fmt: skip
    return _sealed(sealer, b"thread", fields, kept=3)


def thread_record(
    thread_id: str, head: object, values: dict[str, object], sealer: Sealer
) -> ThreadRecord:
    with reading("?", f"turn of node `?` turn in thread `{thread_id}`"):
        where = Reader(head)
        run_id, node, created = where.text(), where.text(), where.number()
        where.end()
    named = f"turn of node `{node}` turn in thread `{thread_id}`"
    with reading(run_id, named):
        read = Reader(values.get(joined(run_id, node)))
        after, messages = read.integer(), read.data()
        fields = (thread_id, run_id, node, after, messages)
        _check(sealer, read, b"thread", fields, (run_id, node, named))
    return ThreadRecord(thread_id, run_id, node, after, messages, checksum(messages), created)


def shared_field(record: SharedRecord) -> str:
    """A write's field in ``Keys.shared``: a node's write of a key replaces its own."""
    return joined(record.scope, record.owner, record.key, record.run_id, record.node)


def shared_value(record: SharedRecord, sealer: Sealer) -> bytes:
    fields = (record.scope, record.owner, record.key, record.run_id, record.node,
              bytes(record.data), float(record.created_at))  # fmt: skip
    return _sealed(sealer, b"shared", fields)


def shared_record(run_id: str, value: object, version: int, sealer: Sealer) -> SharedRecord:
    """The write ``value`` holds (``run_id``: whose run reads it, to name it in errors)."""
    with reading(run_id, "write of shared key `?`"):
        read = Reader(value)
        scope, owner, key, writer, node = (read.text() for _ in range(5))
        data, created = read.data(), read.number()
        fields = (scope, owner, key, writer, node, data, created)
        named = f"write of shared key `{key}` (per {scope} {owner})"
        _check(sealer, read, b"shared", fields, (writer, node, named))
    return SharedRecord(scope, owner, key, writer, node, data, checksum(data), created, version)
