"""How records map to table rows: the column orders the SQLite and PostgreSQL stores share."""

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
    StoredStatus,
    StoreError,
    ThreadRecord,
)

__all__ = [
    "FAILURE_COLUMNS",
    "INTERRUPT_COLUMNS",
    "JOURNAL_COLUMNS",
    "OUTPUT_COLUMNS",
    "RUN_COLUMNS",
    "THREAD_COLUMNS",
    "failure_record",
    "failure_row",
    "interrupt_record",
    "interrupt_row",
    "journal_record",
    "journal_row",
    "output_row",
    "run_record",
    "run_row",
    "thread_record",
    "thread_row",
]

RUN_COLUMNS = (
    "run_id, graph, content_hash, canonical, inputs, status, created_at, updated_at, "
    "error, parent_run"
)
OUTPUT_COLUMNS = "run_id, node, attempt, data, checksum, created_at"
FAILURE_COLUMNS = "run_id, node, attempt, error_type, message, created_at"
INTERRUPT_COLUMNS = "run_id, node, key, question, answer_schema, answer, created_at"
JOURNAL_COLUMNS = (
    "run_id, node, call_index, kind, request_hash, request, response, checksum, created_at"
)
THREAD_COLUMNS = "thread_id, run_id, node, messages_after, messages, checksum, created_at"

Row = tuple[object, ...]


def run_row(record: RunRecord) -> Row:
    """``record`` in ``RUN_COLUMNS`` order."""
    return (
        record.run_id,
        record.graph,
        record.content_hash,
        record.canonical,
        bytes(record.inputs),
        StoredStatus(record.status).value,
        record.created_at,
        record.updated_at,
        record.error,
        record.parent_run,
    )


def run_record(row: Sequence[Any]) -> RunRecord:
    """The run a ``RUN_COLUMNS`` row holds.

    Raises:
        StoreError: when its status or inputs are not what a store writes.
    """
    run_id, graph, content_hash, canonical, inputs, status, created, updated, error, parent = row
    if not isinstance(inputs, bytes):
        kind = type(inputs).__name__
        raise StoreError(f"run {run_id}: its stored inputs are {kind}, not bytes")
    return RunRecord(
        run_id=str(run_id),
        graph=str(graph),
        content_hash=str(content_hash),
        canonical=str(canonical),
        inputs=inputs,
        status=stored_status(status, str(run_id)),
        created_at=float(created),
        updated_at=float(updated),
        error=None if error is None else str(error),
        parent_run=None if parent is None else str(parent),
    )


def output_row(record: OutputRecord) -> Row:
    """``record`` in ``OUTPUT_COLUMNS`` order."""
    return (
        record.run_id,
        record.node,
        record.attempt,
        record.data,
        record.checksum,
        record.created_at,
    )


def failure_row(record: FailureRecord) -> Row:
    """``record`` in ``FAILURE_COLUMNS`` order."""
    return (
        record.run_id,
        record.node,
        record.attempt,
        record.error_type,
        record.message,
        record.created_at,
    )


def failure_record(row: Sequence[Any]) -> FailureRecord:
    """The failure a ``FAILURE_COLUMNS`` row holds."""
    run_id, node, attempt, error_type, message, created = row
    return FailureRecord(
        str(run_id),
        str(node),
        int(attempt),
        str(error_type),
        str(message),
        float(created),
    )


def interrupt_row(record: InterruptRecord) -> Row:
    """``record`` in ``INTERRUPT_COLUMNS`` order."""
    return (
        record.run_id,
        record.node,
        record.key,
        record.question,
        record.schema,
        None if record.answer is None else bytes(record.answer),
        record.created_at,
    )


def interrupt_record(row: Sequence[Any]) -> InterruptRecord:
    """The interrupt an ``INTERRUPT_COLUMNS`` row holds."""
    run_id, node, key, question, schema, answer, created = row
    if answer is not None and not isinstance(answer, bytes):
        raise StoreError(
            f"run {run_id}: the stored answer to node `{node}` is "
            f"{type(answer).__name__}, not bytes"
        )
    return InterruptRecord(
        str(run_id),
        str(node),
        str(key),
        str(question),
        str(schema),
        answer,
        float(created),
    )


def journal_row(record: JournalRecord) -> Row:
    """``record`` in ``JOURNAL_COLUMNS`` order."""
    return (
        record.run_id,
        record.node,
        record.index,
        record.kind,
        record.request_hash,
        bytes(record.request),
        bytes(record.response),
        record.checksum,
        record.created_at,
    )


def journal_record(row: Sequence[Any]) -> JournalRecord:
    """The journaled call a ``JOURNAL_COLUMNS`` row holds (its bytes checked on load)."""
    run_id, node, index, kind, digest, request, response, stored, created = row
    return JournalRecord(
        str(run_id),
        str(node),
        int(index),
        str(kind),
        str(digest),
        bytes(request) if isinstance(request, memoryview) else request,
        bytes(response) if isinstance(response, memoryview) else response,
        str(stored),
        float(created),
    )


def thread_row(record: ThreadRecord) -> Row:
    """``record`` in ``THREAD_COLUMNS`` order."""
    return (
        record.thread_id,
        record.run_id,
        record.node,
        record.messages_after,
        bytes(record.messages),
        record.checksum,
        record.created_at,
    )


def thread_record(row: Sequence[Any]) -> ThreadRecord:
    """The turn a ``THREAD_COLUMNS`` row holds (its bytes checked on load)."""
    thread_id, run_id, node, after, messages, stored, created = row
    return ThreadRecord(
        str(thread_id),
        str(run_id),
        str(node),
        int(after),
        bytes(messages) if isinstance(messages, memoryview) else messages,
        str(stored),
        float(created),
    )
