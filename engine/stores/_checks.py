"""What every store checks alike: output checksums, stored statuses, schema versions.

The memory, SQLite and PostgreSQL stores share these so that they fail the same way, with
the same messages, and one conformance suite can hold them to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from plait.engine.stores._protocol import (
    SCHEMA_VERSION,
    CorruptRecordError,
    JournalRecord,
    Lease,
    LeaseLostError,
    OutputRecord,
    RunRecord,
    SharedRecord,
    StoredStatus,
    StoreError,
    ThreadRecord,
    checksum,
    journal_checksum,
)

__all__ = [
    "RELEASED",
    "RUN_FIXED_FIELDS",
    "check_fence",
    "check_schema",
    "journal_batch",
    "last_per_node",
    "migration_steps",
    "no_such_run",
    "run_exists",
    "same_run",
    "stored_status",
    "verified",
    "verified_call",
    "verified_shared",
    "verified_turn",
]


RUN_FIXED_FIELDS = ("graph", "content_hash", "canonical", "inputs", "created_at", "parent_run")
"""What a run is: ``put_run`` refuses to change these under a stored run's id."""


RELEASED = ""
"""The owner a released lease keeps (with its token), so the next owner's token is higher."""


def check_fence(lease: Lease, held: tuple[str, int] | None, run_ids: Iterable[str] = ()) -> None:
    """Refuse a write made with ``lease`` when the run's stored lease (``held``: owner and
    token, or None) is not it any more; ``run_ids`` are the runs the write touches.

    Raises:
        StoreError: when the write touches a run other than the lease's.
        LeaseLostError: when the lease was taken over or given up.
    """
    others = sorted({run_id for run_id in run_ids if run_id != lease.run_id})
    if others:
        raise StoreError(
            f"a write fenced by run {lease.run_id}'s lease touches run(s) {', '.join(others)}"
        )
    if held is None or held != (lease.owner, lease.token):
        holder = None if held is None or held[0] == RELEASED else held[0]
        raise LeaseLostError(lease.run_id, holder, taken=held is not None and held[1] > lease.token)


def verified(record: OutputRecord) -> OutputRecord:
    """``record``, after checking that its bytes match its checksum.

    Raises:
        CorruptRecordError: when they do not, or when the stored data is not bytes.
    """
    _check_bytes(record.run_id, record.node, "data", record.data, record.checksum)
    return record


def _check_bytes(run_id: str, where: str, what: str, data: object, expected: object) -> None:
    """Check that ``data`` (the record's ``what``) is bytes whose SHA-256 is ``expected``.

    Raises:
        CorruptRecordError: naming the run and ``where``, when it is not.
    """
    if not isinstance(data, bytes):
        reason = f"it holds its {what} as {type(data).__name__}, not bytes"
        raise CorruptRecordError(run_id, where, reason)
    found = checksum(data)
    if found != expected:
        reason = (
            f"its {len(data)} bytes of {what} hash to sha256 {found[:16]}…, "
            f"the stored checksum is {str(expected)[:16]}…"
        )
        raise CorruptRecordError(run_id, where, reason)


def last_per_node(records: Sequence[OutputRecord]) -> list[OutputRecord]:
    """``records`` checked, keeping the last one of each (run, node), in first-seen order.

    Raises:
        CorruptRecordError: when a record's checksum does not match its bytes; nothing
            should then be written.
    """
    if len(records) == 1:  # a chain's commit
        return [verified(records[0])]
    kept: dict[tuple[str, str], OutputRecord] = {}
    for record in records:
        kept[record.run_id, record.node] = verified(record)
    return list(kept.values())


def verified_call(record: JournalRecord) -> JournalRecord:
    """``record``, after checking that its bytes match its checksum.

    Raises:
        CorruptRecordError: when they do not, or when the stored bytes are not bytes.
    """
    where = f"{record.node}` call `{record.index}"
    request: object = record.request
    response: object = record.response
    if not isinstance(request, bytes) or not isinstance(response, bytes):
        reason = "its journaled call is not stored as bytes"
        raise CorruptRecordError(record.run_id, where, reason)
    found = journal_checksum(request, response)
    if found != record.checksum:
        reason = (
            f"its journaled call hashes to sha256 {found[:16]}…, "
            f"the stored checksum is {str(record.checksum)[:16]}…"
        )
        raise CorruptRecordError(record.run_id, where, reason)
    return record


def verified_turn(record: ThreadRecord) -> ThreadRecord:
    """``record``, after checking that its bytes match its checksum.

    Raises:
        CorruptRecordError: when they do not, or when the stored messages are not bytes.
    """
    where = f"{record.node}` turn in thread `{record.thread_id}"
    _check_bytes(record.run_id, where, "messages", record.messages, record.checksum)
    return record


def verified_shared(record: SharedRecord) -> SharedRecord:
    """``record``, after checking that its bytes match its checksum.

    Raises:
        CorruptRecordError: when they do not, or when the stored value is not bytes.
    """
    where = f"{record.node}` write of shared key `{record.where}"
    _check_bytes(record.run_id, where, "value", record.data, record.checksum)
    return record


def journal_batch(run_id: str, records: Sequence[JournalRecord]) -> list[JournalRecord]:
    """``records`` checked, keeping the last one of each (node, index), in first-seen order.

    Raises:
        CorruptRecordError: when a record's checksum does not match its bytes.
        StoreError: when a record belongs to another run than ``run_id``.
    """
    kept: dict[tuple[str, int], JournalRecord] = {}
    for record in records:
        if record.run_id != run_id:
            raise StoreError(
                f"cannot journal a call of run {record.run_id} under run {run_id}: "
                "one run per put_journal"
            )
        kept[record.node, record.index] = verified_call(record)
    return list(kept.values())


def same_run(stored: RunRecord, record: RunRecord) -> bool:
    """Whether ``record`` is ``stored`` (same fixed fields), perhaps in another state."""
    return all(getattr(stored, name) == getattr(record, name) for name in RUN_FIXED_FIELDS)


def run_exists(run_id: str) -> StoreError:
    """The error for ``put_run`` of another run under an id already taken."""
    fixed = ", ".join(RUN_FIXED_FIELDS)
    return StoreError(
        f"run {run_id} already exists with other fixed fields ({fixed}): pick a new run id"
    )


def no_such_run(run_ids: Iterable[str], doing: str) -> StoreError:
    """The error for writing records of runs that were never created."""
    names = ", ".join(sorted(set(run_ids)))
    return StoreError(f"cannot {doing}: no run {names} in this store (put_run first)")


def stored_status(value: str, run_id: str) -> StoredStatus:
    """The ``StoredStatus`` a stored value names.

    Raises:
        StoreError: when it names none.
    """
    try:
        return StoredStatus(value)
    except ValueError:
        expected = ", ".join(status.value for status in StoredStatus)
        message = f"run {run_id}: the stored status {value!r} is not one of {expected}"
        raise StoreError(message) from None


def check_schema(found: int, where: str) -> None:
    """Refuse a stored schema version other than ``SCHEMA_VERSION``.

    Raises:
        StoreError: when ``found`` is newer (this plait is too old for the store) or older
            (the store needs ``migrate()``).
    """
    if found > SCHEMA_VERSION:
        raise StoreError(
            f"{where} has schema version {found}, newer than the version {SCHEMA_VERSION} "
            "this plait writes: upgrade plait to open it"
        )
    if found < SCHEMA_VERSION:
        raise StoreError(
            f"{where} has schema version {found}, older than the version {SCHEMA_VERSION} "
            "this plait writes: back it up, then run `plait migrate` (in Python: "
            "`await store.migrate()`)"
        )


def migration_steps(migrations: Mapping[int, Sequence[str]], found: int, where: str) -> list[str]:
    """The statements that take a schema from version ``found`` to ``SCHEMA_VERSION``.

    ``migrations[n]`` takes version n to n + 1.

    Raises:
        StoreError: when ``found`` is newer than ``SCHEMA_VERSION``, or a step is missing.
    """
    if found > SCHEMA_VERSION:
        check_schema(found, where)
    steps: list[str] = []
    for version in range(found, SCHEMA_VERSION):
        if version not in migrations:
            raise StoreError(
                f"{where} has schema version {found}, and no migration leads from version "
                f"{version} to {version + 1}"
            )
        steps.extend(migrations[version])
    return steps
