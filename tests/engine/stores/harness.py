"""One handle per store kind: make stores on one database, and tamper with it behind
their back (corrupt bytes, rewrite the schema version) as a disk or a person might."""

from __future__ import annotations

import dataclasses
import sqlite3
from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from plait.engine.stores._memory import MemoryStore
from plait.engine.stores._postgres import PostgresStore
from plait.engine.stores._redis import RedisStore
from plait.engine.stores._redis_records import Keys, joined
from plait.engine.stores._sqlite import SQLiteStore

if TYPE_CHECKING:
    import redis

__all__ = [
    "AnyStore",
    "Harness",
    "MemoryHarness",
    "PostgresHarness",
    "RedisHarness",
    "SQLiteHarness",
]

AnyStore = MemoryStore | SQLiteStore | PostgresStore | RedisStore


class Harness(ABC):
    """A database shared by every store ``make()`` returns."""

    kind: ClassVar[str]

    @abstractmethod
    def make(self) -> AnyStore:
        """A new, unopened store on the harness's database."""

    @abstractmethod
    async def corrupt(self, store: AnyStore, run_id: str, node: str, data: bytes) -> None:
        """Flip one bit of the stored output ``data`` of ``node``; ``store`` stays usable."""

    @abstractmethod
    async def corrupt_call(
        self, store: AnyStore, run_id: str, node: str, index: int, response: bytes
    ) -> None:
        """Flip one bit of the journaled ``response`` of call ``index`` of ``node``."""

    @abstractmethod
    async def corrupt_turn(
        self, store: AnyStore, thread_id: str, run_id: str, node: str, messages: bytes
    ) -> None:
        """Flip one bit of the stored ``messages`` of ``node``'s turn in a thread."""

    @abstractmethod
    def set_schema_version(self, version: int) -> None:
        """Overwrite the stored schema version."""


class MemoryHarness(Harness):
    """One ``MemoryStore``: its memory is its database."""

    kind = "memory"

    def __init__(self) -> None:
        self.store = MemoryStore()

    def make(self) -> AnyStore:
        return self.store

    async def corrupt(self, store: AnyStore, run_id: str, node: str, data: bytes) -> None:
        assert isinstance(store, MemoryStore)
        stored = store._outputs[run_id][node]
        assert stored.data == data
        flipped = bytes([data[0] ^ 1]) + data[1:]
        store._outputs[run_id][node] = dataclasses.replace(stored, data=flipped)

    async def corrupt_call(
        self, store: AnyStore, run_id: str, node: str, index: int, response: bytes
    ) -> None:
        assert isinstance(store, MemoryStore)
        stored = store._journal[run_id][node, index]
        assert stored.response == response
        flipped = bytes([response[0] ^ 1]) + response[1:]
        store._journal[run_id][node, index] = dataclasses.replace(stored, response=flipped)

    async def corrupt_turn(
        self, store: AnyStore, thread_id: str, run_id: str, node: str, messages: bytes
    ) -> None:
        assert isinstance(store, MemoryStore)
        stored = store._threads[thread_id][run_id, node]
        assert stored.messages == messages
        flipped = bytes([messages[0] ^ 1]) + messages[1:]
        store._threads[thread_id][run_id, node] = dataclasses.replace(stored, messages=flipped)

    def set_schema_version(self, version: int) -> None:
        raise NotImplementedError("a memory store has no schema")


class SQLiteHarness(Harness):
    """A file; corruption flips a bit in the file itself, as a bad disk would."""

    kind = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path

    def make(self) -> AnyStore:
        return SQLiteStore(self.path)

    async def corrupt(self, store: AnyStore, run_id: str, node: str, data: bytes) -> None:
        await store.close()  # the last connection to close moves the WAL into the file
        self._flip_bit(data)
        await store.open()

    async def corrupt_call(
        self, store: AnyStore, run_id: str, node: str, index: int, response: bytes
    ) -> None:
        await store.close()
        self._flip_bit(response)
        await store.open()

    async def corrupt_turn(
        self, store: AnyStore, thread_id: str, run_id: str, node: str, messages: bytes
    ) -> None:
        await store.close()
        self._flip_bit(messages)
        await store.open()

    def _flip_bit(self, data: bytes) -> None:
        assert not Path(f"{self.path}-wal").exists()
        content = bytearray(self.path.read_bytes())
        where = content.find(data)
        assert where >= 0, "the output's bytes are not in the file"
        assert content.find(data, where + 1) < 0, "the output's bytes are in the file twice"
        content[where] ^= 1
        self.path.write_bytes(bytes(content))

    def set_schema_version(self, version: int) -> None:
        with sqlite3.connect(self.path) as connection:
            connection.execute("UPDATE plait_schema SET version = ?", (version,))
        connection.close()


class PostgresHarness(Harness):
    """A schema of its own in the test database, dropped afterwards."""

    kind = "postgres"

    def __init__(self, admin_url: str, schema: str) -> None:
        self.admin_url = admin_url
        self.schema = schema
        separator = "&" if "?" in admin_url else "?"
        self.url = f"{admin_url}{separator}options=-csearch_path%3D{schema}"

    def create(self) -> None:
        self._execute(f'CREATE SCHEMA "{self.schema}"')

    def drop(self) -> None:
        self._execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')

    def make(self) -> AnyStore:
        return PostgresStore(self.url, max_size=8)

    async def corrupt(self, store: AnyStore, run_id: str, node: str, data: bytes) -> None:
        self._execute(
            "UPDATE plait_outputs SET data = set_byte(data, 0, get_byte(data, 0) # 1) "
            "WHERE run_id = %s AND node = %s",
            (run_id, node),
        )

    async def corrupt_call(
        self, store: AnyStore, run_id: str, node: str, index: int, response: bytes
    ) -> None:
        self._execute(
            "UPDATE plait_journal SET response = set_byte(response, 0, get_byte(response, 0) # 1) "
            "WHERE run_id = %s AND node = %s AND call_index = %s",
            (run_id, node, index),
        )

    async def corrupt_turn(
        self, store: AnyStore, thread_id: str, run_id: str, node: str, messages: bytes
    ) -> None:
        self._execute(
            "UPDATE plait_threads SET messages = set_byte(messages, 0, get_byte(messages, 0) # 1) "
            "WHERE thread_id = %s AND run_id = %s AND node = %s",
            (thread_id, run_id, node),
        )

    def set_schema_version(self, version: int) -> None:
        self._execute("UPDATE plait_schema SET version = %s", (version,))

    def _execute(self, statement: str, values: tuple[object, ...] = ()) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as connection:
            connection.execute(statement, values)


class RedisHarness(Harness):
    """A key prefix of its own in the test database, its keys deleted afterwards;
    corruption flips a bit of a stored value, as a bad disk under the AOF would."""

    kind = "redis"

    def __init__(self, url: str, prefix: str) -> None:
        self.url = url
        self.prefix = prefix
        self.keys = Keys(prefix)

    def make(self) -> AnyStore:
        return RedisStore(self.url, prefix=self.prefix)

    def drop(self) -> None:
        with self._client() as client:
            found = list(client.scan_iter(match=f"{self.prefix}:*", count=1000))
            if found:
                client.delete(*found)

    async def corrupt(self, store: AnyStore, run_id: str, node: str, data: bytes) -> None:
        self._flip_bit(self.keys.outputs(run_id), node, data)

    async def corrupt_call(
        self, store: AnyStore, run_id: str, node: str, index: int, response: bytes
    ) -> None:
        self._flip_bit(self.keys.journal(run_id), joined(node, str(index)), response)

    async def corrupt_turn(
        self, store: AnyStore, thread_id: str, run_id: str, node: str, messages: bytes
    ) -> None:
        self._flip_bit(self.keys.thread(thread_id), joined(run_id, node), messages)

    def set_schema_version(self, version: int) -> None:
        with self._client() as client:
            client.set(self.keys.schema, str(version))

    def _flip_bit(self, key: str, field: str, data: bytes) -> None:
        with self._client() as client:
            value = client.hget(key, field)
            assert isinstance(value, bytes), f"nothing stored at {key} {field}"
            where = value.find(data)
            assert where >= 0, "the bytes are not in the stored value"
            assert value.find(data, where + 1) < 0, "the bytes are in the stored value twice"
            flipped = bytearray(value)
            flipped[where] ^= 1
            client.hset(key, field, bytes(flipped))

    def _client(self) -> redis.Redis:
        import redis

        return redis.Redis.from_url(self.url)
