"""How records map to sealed table rows: the layouts the SQLite and PostgreSQL stores share.

Each row carries a ``checksum`` column: the ``Sealer``'s 16-byte seal over every other
field of the row (docs/adr-024-record-format.md), checked before a row becomes a record.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from plait.engine.stores._checks import stored_status
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
from plait.engine.stores._seal import Sealer, inflate

__all__ = [
    "FAILURE_COLUMNS",
    "GRAPH_COLUMNS",
    "INTERRUPT_COLUMNS",
    "JOURNAL_COLUMNS",
    "OUTPUT_COLUMNS",
    "OUTPUT_CONFLICT",
    "RUN_COLUMNS",
    "RUN_SELECT",
    "SHARED_COLUMNS",
    "THREAD_COLUMNS",
    "Row",
    "failure_record",
    "failure_row",
    "graph_row",
    "interrupt_record",
    "interrupt_row",
    "journal_record",
    "journal_row",
    "output_record",
    "output_row",
    "output_upsert",
    "run_record",
    "run_row",
    "shared_record",
    "shared_row",
    "thread_record",
    "thread_row",
]

RUN_COLUMNS = (
    "run_id, graph, content_hash, inputs, created_at, parent_run, checksum, "
    "status, updated_at, error, state_checksum"
)
"""A run's fixed fields and their seal, then its state and the state's seal: a status
change rewrites only the last four."""
RUN_SELECT = (
    "SELECT r.run_id, r.graph, r.content_hash, r.inputs, r.created_at, r.parent_run, "
    "r.checksum, r.status, r.updated_at, r.error, r.state_checksum, g.canonical, g.checksum "
    "FROM plait_runs r LEFT JOIN plait_graphs g ON g.content_hash = r.content_hash"
)
"""A run row with its graph description (stored once per content hash)."""
GRAPH_COLUMNS = "content_hash, canonical, checksum"
OUTPUT_COLUMNS = "run_id, node, attempt, data, checksum, created_at"
OUTPUT_CONFLICT = """ON CONFLICT (run_id, node) DO UPDATE SET
    attempt = excluded.attempt, data = excluded.data,
    checksum = excluded.checksum, created_at = excluded.created_at"""
"""An output written again (a retried or resumed node) replaces the node's row: SQLite's
and PostgreSQL's clause alike."""


def output_upsert(placeholder: str) -> str:
    """The statement that writes one ``OUTPUT_COLUMNS`` row (``placeholder``: ``?`` for
    SQLite, ``%s`` for PostgreSQL)."""
    values = ", ".join([placeholder] * 6)
    return f"INSERT INTO plait_outputs ({OUTPUT_COLUMNS}) VALUES ({values}) {OUTPUT_CONFLICT}"


FAILURE_COLUMNS = "run_id, node, attempt, error_type, message, created_at, checksum"
INTERRUPT_COLUMNS = "run_id, node, key, question, answer_schema, answer, created_at, checksum"
JOURNAL_COLUMNS = (
    "run_id, node, call_index, kind, request_hash, request, response, checksum, created_at"
)
THREAD_COLUMNS = "thread_id, run_id, node, messages_after, messages, checksum, created_at"

Row = tuple[object, ...]


def _bytes(value: object) -> Any:
    """A BLOB column's value as bytes (psycopg may give a memoryview); any other type is
    kept, for the seal check to refuse (it seals types too)."""
    return bytes(value) if isinstance(value, memoryview) else value


def run_row(record: RunRecord, sealer: Sealer) -> Row:
    """``record`` in ``RUN_COLUMNS`` order, sealed."""
    fixed = (
        record.run_id,
        record.graph,
        record.content_hash,
        bytes(record.inputs),
        float(record.created_at),
        record.parent_run,
    )
    state = (StoredStatus(record.status).value, float(record.updated_at), record.error)
    return (
        *fixed,
        sealer.seal(b"run", *fixed, record.canonical),
        *state,
        sealer.seal(b"state", record.run_id, *state),
    )


def graph_row(content_hash: str, packed: bytes, sealer: Sealer) -> Row:
    """A graph description (``packed``: ``deflate``d) in ``GRAPH_COLUMNS`` order, sealed."""
    return (content_hash, packed, sealer.seal(b"graph", content_hash, packed))


def run_record(row: Sequence[Any], sealer: Sealer) -> RunRecord:
    """The run a ``RUN_SELECT`` row holds, its seals checked.

    Raises:
        CorruptRecordError: when a seal fails, the graph description is missing or does
            not decompress, or the status is not one a store writes.
    """
    run_id, graph, content_hash, inputs, created, parent, fixed_seal = row[:7]
    status, updated, error, state_seal, packed, graph_seal = row[7:]
    run_id = _bytes(run_id)
    name = str(run_id) if isinstance(run_id, str) else repr(run_id)
    packed, inputs = _bytes(packed), _bytes(inputs)
    sealer.check(graph_seal, b"graph", (content_hash, packed), (name, "", "graph description"))
    canonical = inflate(packed, name, "graph description")
    fields = (run_id, graph, content_hash, inputs, created, parent, canonical)
    sealer.check(fixed_seal, b"run", fields, (name, "", "run row"))
    sealer.check(state_seal, b"state", (run_id, status, updated, error), (name, "", "run state"))
    return RunRecord(
        run_id=name,
        graph=str(graph),
        content_hash=str(content_hash),
        canonical=canonical,
        inputs=inputs,  # sealed as bytes
        status=stored_status(str(status), name),
        created_at=float(created),
        updated_at=float(updated),
        error=None if error is None else str(error),
        parent_run=None if parent is None else str(parent),
    )


def output_row(record: OutputRecord, sealer: Sealer) -> Row:
    """``record`` in ``OUTPUT_COLUMNS`` order, sealed (its SHA-256 is not stored)."""
    run_id, node, attempt, data, created = (
        record.run_id, record.node, record.attempt, record.data, float(record.created_at)
    )  # fmt: skip
    return (run_id, node, attempt, data, sealer.output(run_id, node, attempt, data, created),
            created)  # fmt: skip


def output_record(row: Sequence[Any], sealer: Sealer) -> OutputRecord:
    """The output an ``OUTPUT_COLUMNS`` row holds, its seal checked.

    Raises:
        CorruptRecordError: when the seal fails.
    """
    run_id, node, attempt, data, seal, created = row
    data = _bytes(data)
    where = (str(run_id), str(node), f"output of node `{node}`")
    sealer.check(seal, b"output", (run_id, node, attempt, data, created), where)
    return OutputRecord(str(run_id), str(node), int(attempt), data, checksum(data), float(created))


def failure_row(record: FailureRecord, sealer: Sealer) -> Row:
    """``record`` in ``FAILURE_COLUMNS`` order, sealed."""
    fields = (
        record.run_id,
        record.node,
        record.attempt,
        record.error_type,
        record.message,
        float(record.created_at),
    )
    return (*fields, sealer.seal(b"failure", *fields))


def failure_record(row: Sequence[Any], sealer: Sealer) -> FailureRecord:
    """The failure a ``FAILURE_COLUMNS`` row holds, its seal checked."""
    *fields, seal = row
    run_id, node, attempt, error_type, message, created = fields
    sealer.check(seal, b"failure", tuple(fields), (str(run_id), str(node), f"failure of `{node}`"))
    return FailureRecord(
        str(run_id), str(node), int(attempt), str(error_type), str(message), float(created)
    )


def interrupt_row(record: InterruptRecord, sealer: Sealer) -> Row:
    """``record`` in ``INTERRUPT_COLUMNS`` order, sealed."""
    fields = (
        record.run_id,
        record.node,
        record.key,
        record.question,
        record.schema,
        None if record.answer is None else bytes(record.answer),
    )
    # not ``created_at``: an answer rewrites the row in place, keeping the question's time
    return (*fields, float(record.created_at), sealer.seal(b"interrupt", *fields))


def interrupt_record(row: Sequence[Any], sealer: Sealer) -> InterruptRecord:
    """The question an ``INTERRUPT_COLUMNS`` row holds, its seal checked."""
    run_id, node, key, question, schema, answer, created, seal = row
    answer = _bytes(answer)
    fields = (run_id, node, key, question, schema, answer)
    sealer.check(seal, b"interrupt", fields, (str(run_id), str(node), f"question of `{node}`"))
    return InterruptRecord(
        str(run_id),
        str(node),
        str(key),
        str(question),
        str(schema),
        answer,  # sealed as bytes or None
        float(created),
    )


def journal_row(record: JournalRecord, sealer: Sealer) -> Row:
    """``record`` in ``JOURNAL_COLUMNS`` order, sealed."""
    fields = (
        record.run_id,
        record.node,
        record.index,
        record.kind,
        record.request_hash,
        bytes(record.request),
        bytes(record.response),
    )
    created = float(record.created_at)
    return (*fields, sealer.seal(b"journal", *fields, created), created)


def journal_record(row: Sequence[Any], sealer: Sealer) -> JournalRecord:
    """The journaled call a ``JOURNAL_COLUMNS`` row holds, its seal checked."""
    run_id, node, index, kind, digest, request, response, seal, created = row
    request, response = _bytes(request), _bytes(response)
    fields = (run_id, node, index, kind, digest, request, response, created)
    where = (str(run_id), str(node), f"journal entry of node `{node}` call `{index}`")
    sealer.check(seal, b"journal", fields, where)
    return JournalRecord(
        str(run_id), str(node), int(index), str(kind), str(digest), request, response,
        journal_checksum(request, response), float(created),
    )  # fmt: skip


def thread_row(record: ThreadRecord, sealer: Sealer) -> Row:
    """``record`` in ``THREAD_COLUMNS`` order, sealed."""
    fields = (
        record.thread_id,
        record.run_id,
        record.node,
        record.messages_after,
        bytes(record.messages),
    )
    # not ``created_at``: a replaced turn keeps its place and time
    return (*fields, sealer.seal(b"thread", *fields), float(record.created_at))


def thread_record(row: Sequence[Any], sealer: Sealer) -> ThreadRecord:
    """The turn a ``THREAD_COLUMNS`` row holds, its seal checked."""
    thread_id, run_id, node, after, messages, seal, created = row
    messages = _bytes(messages)
    where = (str(run_id), str(node), f"turn of node `{node}` turn in thread `{thread_id}`")
    sealer.check(seal, b"thread", (thread_id, run_id, node, after, messages), where)
    return ThreadRecord(
        str(thread_id), str(run_id), str(node), int(after), messages, checksum(messages),
        float(created),
    )  # fmt: skip


SHARED_COLUMNS = "scope, owner, key, run_id, node, data, checksum, created_at"
"""A shared memory write as inserted (the store assigns ``version``); read back with it."""


def shared_row(record: SharedRecord, sealer: Sealer) -> Row:
    """``record`` in ``SHARED_COLUMNS`` order, sealed (its version is the store's)."""
    fields = (record.scope, record.owner, record.key, record.run_id, record.node,
              bytes(record.data), float(record.created_at))  # fmt: skip
    return (*fields[:6], sealer.seal(b"shared", *fields), fields[6])


def shared_record(row: Sequence[Any], sealer: Sealer) -> SharedRecord:
    """The write a ``SHARED_COLUMNS, version`` row holds, its seal checked."""
    scope, owner, key, run_id, node, data, seal, created, version = row
    data = _bytes(data)
    where = (str(run_id), str(node), f"write of shared key `{key}` (per {scope} {owner})")
    sealer.check(seal, b"shared", (scope, owner, key, run_id, node, data, created), where)
    return SharedRecord(
        str(scope), str(owner), str(key), str(run_id), str(node), data, checksum(data),
        float(created), int(version),
    )  # fmt: skip
