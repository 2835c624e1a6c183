"""Schema 5 to 6: every row re-laid out and sealed (docs/adr-024-record-format.md).

Both database stores read the version 5 tables with ``V5_SELECTS``, convert the rows here
(checking the SHA-256 checksums version 5 kept, so corruption is never re-sealed), drop
the old tables, create the new ones and insert what ``resealed`` returns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from plait.engine.stores._checks import verified, verified_call, verified_shared, verified_turn
from plait.engine.stores._protocol import (
    FailureRecord,
    InterruptRecord,
    JournalRecord,
    OutputRecord,
    RunRecord,
    SharedRecord,
    ThreadRecord,
)
from plait.engine.stores._rows import (
    FAILURE_COLUMNS,
    GRAPH_COLUMNS,
    INTERRUPT_COLUMNS,
    JOURNAL_COLUMNS,
    OUTPUT_COLUMNS,
    RUN_COLUMNS,
    SHARED_COLUMNS,
    THREAD_COLUMNS,
    Row,
    failure_row,
    graph_row,
    interrupt_row,
    journal_row,
    output_row,
    run_row,
    shared_row,
    thread_row,
)
from plait.engine.stores._seal import Sealer, deflate

__all__ = ["V5_SELECTS", "V5_TABLES", "resealed"]

V5_SELECTS = {
    "plait_runs": "SELECT run_id, graph, content_hash, canonical, inputs, status, created_at, "
    "updated_at, error, parent_run FROM plait_runs ORDER BY seq",
    "plait_outputs": "SELECT run_id, node, attempt, data, checksum, created_at FROM plait_outputs",
    "plait_failures": "SELECT run_id, node, attempt, error_type, message, created_at "
    "FROM plait_failures ORDER BY seq",
    "plait_interrupts": "SELECT run_id, node, key, question, answer_schema, answer, created_at "
    "FROM plait_interrupts ORDER BY seq",
    "plait_journal": "SELECT run_id, node, call_index, kind, request_hash, request, response, "
    "checksum, created_at FROM plait_journal",
    "plait_threads": "SELECT thread_id, run_id, node, messages_after, messages, checksum, "
    "created_at, seq FROM plait_threads ORDER BY seq",
    "plait_shared": "SELECT scope, owner, key, run_id, node, data, checksum, created_at, "
    "version FROM plait_shared ORDER BY version",
}
"""What version 5 held, per table (leases are kept as they are)."""

V5_TABLES = (
    "plait_shared",
    "plait_threads",
    "plait_journal",
    "plait_interrupts",
    "plait_failures",
    "plait_outputs",
    "plait_runs",
    "plait_schema",
)
"""The version 5 tables to drop, those that refer to runs first."""


def _b(value: object) -> bytes:
    return bytes(value) if isinstance(value, (bytes, memoryview)) else str(value).encode()


def resealed(
    old: Mapping[str, Sequence[Sequence[Any]]], sealer: Sealer
) -> list[tuple[str, str, list[Row]]]:
    """The version 6 rows to insert: (table, columns, rows), parents first.

    Raises:
        CorruptRecordError: when a version 5 record fails its checksum.
    """
    graphs: dict[str, Row] = {}
    runs: list[Row] = []
    for run_id, graph, digest, canonical, inputs, status, created, updated, error, parent in old[
        "plait_runs"
    ]:
        record = RunRecord(str(run_id), str(graph), str(digest), str(canonical), _b(inputs),
                           status, float(created), float(updated), error, parent)  # fmt: skip
        runs.append(run_row(record, sealer))
        if record.content_hash not in graphs:
            packed = deflate(record.canonical)
            graphs[record.content_hash] = graph_row(record.content_hash, packed, sealer)
    outputs = [
        output_row(verified(OutputRecord(r[0], r[1], r[2], _b(r[3]), r[4], r[5])), sealer)
        for r in old["plait_outputs"]
    ]
    failures = [failure_row(FailureRecord(*row), sealer) for row in old["plait_failures"]]
    interrupts = [
        interrupt_row(
            InterruptRecord(
                row[0],
                row[1],
                row[2],
                row[3],
                row[4],
                None if row[5] is None else _b(row[5]),
                row[6],
            ),
            sealer,
        )
        for row in old["plait_interrupts"]
    ]
    journal = [journal_row(_call(row), sealer) for row in old["plait_journal"]]
    threads = [(*thread_row(_turn(row), sealer), row[7]) for row in old["plait_threads"]]
    shared = [(*shared_row(_write(row), sealer), row[8]) for row in old["plait_shared"]]
    return [
        ("plait_graphs", GRAPH_COLUMNS, list(graphs.values())),
        ("plait_runs", RUN_COLUMNS, runs),
        ("plait_outputs", OUTPUT_COLUMNS, outputs),
        ("plait_failures", FAILURE_COLUMNS, failures),
        ("plait_interrupts", INTERRUPT_COLUMNS, interrupts),
        ("plait_journal", JOURNAL_COLUMNS, journal),
        ("plait_threads", f"{THREAD_COLUMNS}, seq", threads),
        ("plait_shared", f"{SHARED_COLUMNS}, version", shared),
    ]


def _call(r: Sequence[Any]) -> JournalRecord:
    return verified_call(
        JournalRecord(r[0], r[1], r[2], r[3], r[4], _b(r[5]), _b(r[6]), r[7], r[8])
    )


def _turn(r: Sequence[Any]) -> ThreadRecord:
    return verified_turn(ThreadRecord(r[0], r[1], r[2], r[3], _b(r[4]), r[5], r[6]))


def _write(r: Sequence[Any]) -> SharedRecord:
    record = SharedRecord(r[0], r[1], r[2], r[3], r[4], _b(r[5]), r[6], r[7], r[8])
    return verified_shared(record)
