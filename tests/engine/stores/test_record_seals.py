"""Every record kind sealed: each corruption of each kind, on SQLite, PostgreSQL and Redis,
ends in a ``CorruptRecordError`` naming the run and the record
(docs/adr-024-record-format.md)."""

from __future__ import annotations

import sqlite3
import struct

import pytest

from plait.engine.stores._postgres import PostgresStore
from plait.engine.stores._protocol import (
    CorruptRecordError,
    FailureRecord,
    InterruptRecord,
    JournalRecord,
    OutputRecord,
    SharedRecord,
    StoreError,
    ThreadRecord,
)
from plait.engine.stores._redis import RedisStore
from plait.engine.stores._redis_records import joined
from plait.engine.stores._sqlite import SQLiteStore
from plait.nodes import JournalEntry

from .harness import AnyStore, Harness, PostgresHarness, RedisHarness, SQLiteHarness
from .test_conformance import run

pytestmark = [pytest.mark.anyio, pytest.mark.stores("sqlite", "postgres", "redis")]

RECORDS = {
    # kind: (table, a blob column, a text column, how the error names the record)
    "run": ("plait_runs", "inputs", "graph", "run row"),
    "state": ("plait_runs", "state_checksum", "status", "run state"),
    "graph": ("plait_graphs", "canonical", "content_hash", "graph description"),
    "output": ("plait_outputs", "data", "node", "output of node `a`"),
    "failure": ("plait_failures", "checksum", "message", "failure of `a`"),
    "question": ("plait_interrupts", "answer", "question", "question of `ask`"),
    "journal": ("plait_journal", "response", "request_hash", "journal entry of node `agent`"),
    "thread": ("plait_threads", "messages", "node", "turn of node `chat`"),
    "shared": ("plait_shared", "data", "node", "write of shared key `notes`"),
}


async def _fill(store: AnyStore) -> None:
    """One record of each kind, all of run r1."""
    await store.put_run(run("r1"))
    shared = SharedRecord.of("run", "r1", "notes", "r1", "a", b'"kept"', 2.0)
    await store.put_outputs([OutputRecord.of("r1", "a", 1, b'{"value": 1}', 2.0)], [shared])
    await store.put_failure(FailureRecord("r1", "a", 1, "ValueError", "bad value", 1.5))
    await store.put_interrupt(
        InterruptRecord("r1", "ask", "answer", "Approve?", "{}", b'{"ok": true}', 3.0)
    )
    entry = JournalEntry("agent", 0, "llm", "h" * 64, b'{"ask": 1}', b'{"text": "hi"}')
    await store.put_journal("r1", [JournalRecord.of("r1", entry, 4.0)])
    await store.put_thread(ThreadRecord.of("t1", "r1", "chat", 0, b'[{"role": "user"}]', 5.0))


async def _read(store: AnyStore, kind: str) -> None:
    if kind == "thread":
        await store.load_thread("t1")
    elif kind == "shared":
        await store.load_shared("run", "r1", "notes")
    else:
        await store.load("r1")


REDIS_RECORDS = {
    # kind: (the key, the hash field or list index holding the record's value)
    "run": ("run", "fixed"),
    "state": ("run", "state"),
    "graph": ("graph", None),
    "output": ("outputs", "a"),
    "failure": ("failures", 0),
    "question": ("interrupts", joined("ask", "answer")),
    "journal": ("journal", joined("agent", "0")),
    "thread": ("thread", joined("r1", "chat")),
    "shared": ("shared", joined("run", "r1", "notes", "r1", "a")),
}
"""Where the Redis store keeps each record kind of ``_fill``."""

REDIS_CORRUPTIONS = ("flipped byte", "truncated", "a byte added", "invalid UTF-8",
                     "wrong checksum", "text edited")  # fmt: skip

_SIZED = {b"s", b"b"}
_FIXED = {b"i": 8, b"f": 8, b"N": 0}


def _fields(value: bytes) -> list[tuple[bytes, bytes]]:
    """A Redis value's fields: (tag, payload)."""
    fields, at = [], 0
    while at < len(value):
        tag = value[at : at + 1]
        if tag in _SIZED:
            (size,) = struct.unpack(">I", value[at + 1 : at + 5])
            fields.append((tag, value[at + 5 : at + 5 + size]))
            at += 5 + size
        else:
            fields.append((tag, value[at + 1 : at + 1 + _FIXED[tag]]))
            at += 1 + _FIXED[tag]
    return fields


def _packed(fields: list[tuple[bytes, bytes]]) -> bytes:
    return b"".join(
        tag + (struct.pack(">I", len(data)) if tag in _SIZED else b"") + data
        for tag, data in fields
    )


def _corrupted(value: bytes, problem: str) -> bytes | None:
    """``value`` corrupted as ``problem`` says; None when it has no field to corrupt so."""
    fields = _fields(value)
    texts = [i for i, (tag, _) in enumerate(fields) if tag == b"s"]
    if problem == "flipped byte":  # in the first bytes field: a payload, or the seal
        i = next(i for i, (tag, data) in enumerate(fields) if tag == b"b" and data)
        fields[i] = (b"b", bytes([fields[i][1][0] ^ 1]) + fields[i][1][1:])
    elif problem == "truncated":
        return value[: len(value) // 2]
    elif problem == "a byte added":
        return b"\x00" + value
    elif problem == "wrong checksum":
        fields[-1] = (b"b", bytes(16))
    elif not texts:
        return None
    elif problem == "invalid UTF-8":
        fields[texts[0]] = (b"s", b"no\xff")
    else:
        fields[texts[0]] = (b"s", fields[texts[0]][1] + b"x")
    return _packed(fields)


def _redis_corrupt(harness: RedisHarness, kind: str, problem: str) -> bool:
    """Corrupt ``_fill``'s record of ``kind``; False when ``problem`` does not apply."""
    name, field = REDIS_RECORDS[kind]
    keys = harness.keys
    key = {
        "run": keys.run("r1"), "graph": keys.graph(run("r1").content_hash),
        "outputs": keys.outputs("r1"), "failures": keys.failures("r1"),
        "interrupts": keys.interrupts("r1"), "journal": keys.journal("r1"),
        "thread": keys.thread("t1"), "shared": keys.shared,
    }[name]  # fmt: skip
    with harness._client() as client:
        if field is None:
            value = client.get(key)
        elif isinstance(field, int):
            value = client.lindex(key, field)
        else:
            value = client.hget(key, field)
        assert isinstance(value, bytes), (kind, key, field)
        changed = _corrupted(value, problem)
        if changed is None:
            return False
        if field is None:
            client.set(key, changed)
        elif isinstance(field, int):
            client.lset(key, field, changed)
        else:
            client.hset(key, field, changed)
    return True


def _sql(harness: Harness, statement: str) -> None:
    if isinstance(harness, SQLiteHarness):
        with sqlite3.connect(harness.path) as connection:
            connection.execute(statement)
        connection.close()
    else:
        assert isinstance(harness, PostgresHarness)
        harness._execute(statement)


def _corruptions(harness: Harness, blob: str, text: str, seal: str) -> dict[str, str]:
    if isinstance(harness, RedisHarness):
        return {problem: problem for problem in REDIS_CORRUPTIONS}
    if isinstance(harness, SQLiteHarness):
        return {
            "a byte added": f"{blob} = CAST(X'00' || {blob} AS BLOB)",
            "truncated": f"{blob} = substr({blob}, 1, length({blob}) / 2)",
            "invalid UTF-8": f"{text} = CAST(X'6E6FFF' AS TEXT)",
            "wrong checksum": f"{seal} = zeroblob(16)",
            "text edited": f"{text} = {text} || 'x'",
        }
    return {
        "flipped byte": f"{blob} = set_byte({blob}, 0, get_byte({blob}, 0) # 1)",
        "truncated": f"{blob} = substring({blob} from 1 for length({blob}) / 2)",
        "wrong checksum": f"{seal} = '\\x00000000000000000000000000000000'::bytea",
        "text edited": f"{text} = {text} || 'x'",
    }


@pytest.mark.parametrize("record", sorted(RECORDS))
async def test_each_corruption_of_each_record_kind_is_a_typed_error(
    harness: Harness, record: str
) -> None:
    kind = record
    table, blob, text, named = RECORDS[kind]
    seal = "state_checksum" if kind == "state" else "checksum"
    for problem, change in _corruptions(harness, blob, text, seal).items():
        if kind == "graph" and problem == "text edited":
            continue  # the content hash is the graph row's key: an edit orphans the runs
        _reset(harness)
        filled = harness.make()
        await filled.open()
        await _fill(filled)
        await filled.close()
        if isinstance(harness, RedisHarness):
            if not _redis_corrupt(harness, kind, change):
                continue
        else:
            _sql(harness, f"UPDATE {table} SET {change}")
        reopened = harness.make()
        await reopened.open()
        try:
            with pytest.raises(CorruptRecordError) as raised:
                await _read(reopened, kind)
        finally:
            await reopened.close()
        assert raised.value.run_id == "r1", problem
        prefix = named.split("`")[0]  # the name itself may be what was corrupted
        assert f"the stored {prefix}" in str(raised.value), (problem, str(raised.value))


def _reset(harness: Harness) -> None:
    """An empty database again."""
    if isinstance(harness, RedisHarness):
        harness.drop()
    elif isinstance(harness, SQLiteHarness):
        for suffix in ("", "-wal", "-shm"):
            harness.path.with_name(harness.path.name + suffix).unlink(missing_ok=True)
    else:
        assert isinstance(harness, PostgresHarness)
        harness.drop()
        harness.create()


async def test_a_keyed_store_refuses_no_key_and_another_key(harness: Harness) -> None:
    keyed = _with_key(harness, b"first key")
    await keyed.open()
    await _fill(keyed)
    await keyed.close()
    for key, says in ((b"", "none was given"), (b"another key", "another key")):
        other = _with_key(harness, key)
        with pytest.raises(StoreError, match=says):
            await other.open()
    again = _with_key(harness, b"first key")
    await again.open()
    assert (await again.load("r1")) is not None
    await again.close()


async def test_a_record_resealed_without_the_key_is_refused(harness: Harness) -> None:
    """An edit re-sealed with an unkeyed seal (all an attacker without the key can do)."""
    keyed = _with_key(harness, b"first key")
    await keyed.open()
    await keyed.put_run(run("r1"))
    await keyed.put_outputs([OutputRecord.of("r1", "a", 1, b"1", 2.0)])
    await keyed.close()
    from plait.engine.stores._rows import output_row
    from plait.engine.stores._seal import Sealer

    forged = output_row(OutputRecord.of("r1", "a", 1, b"2", 2.0), Sealer(b""))
    if isinstance(harness, RedisHarness):
        from plait.engine.stores._redis_rows import output_value

        value = output_value(OutputRecord.of("r1", "a", 1, b"2", 2.0), Sealer(b""))
        with harness._client() as client:
            client.hset(harness.keys.outputs("r1"), "a", value)
    mark = "?" if isinstance(harness, SQLiteHarness) else "%s"
    statement = f"UPDATE plait_outputs SET data = {mark}, checksum = {mark}"
    if isinstance(harness, SQLiteHarness):
        with sqlite3.connect(harness.path) as connection:
            connection.execute(statement, (forged[3], forged[4]))
        connection.close()
    elif isinstance(harness, PostgresHarness):
        harness._execute(statement, (forged[3], forged[4]))
    again = _with_key(harness, b"first key")
    await again.open()
    try:
        with pytest.raises(CorruptRecordError, match="output of node `a`"):
            await again.load("r1")
    finally:
        await again.close()


def _with_key(harness: Harness, key: bytes) -> AnyStore:
    if isinstance(harness, RedisHarness):
        return RedisStore(harness.url, prefix=harness.prefix, key=key)
    if isinstance(harness, SQLiteHarness):
        return SQLiteStore(harness.path, key=key)
    assert isinstance(harness, PostgresHarness)
    return PostgresStore(harness.url, key=key)
