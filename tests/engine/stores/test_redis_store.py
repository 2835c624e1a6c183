"""What only the Redis store does: its client's errors, asyncio, values it did not write,
its key prefix, the CLI on a ``redis://`` URL, and a commit that survives ``kill -9`` of
the server under the AOF settings the README recommends."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from plait.cli import main
from plait.engine.stores._protocol import (
    SCHEMA_VERSION,
    CorruptRecordError,
    LeaseLostError,
    OutputRecord,
    SharedRecord,
    StoreError,
)
from plait.engine.stores._redis import RedisStore
from plait.engine.stores._redis_connection import describe, translate

from .harness import RedisHarness
from .test_conformance import run

pytestmark = pytest.mark.anyio


def _subclasses(root: type[Exception]) -> set[type[Exception]]:
    found = {root}
    for child in root.__subclasses__():
        found |= _subclasses(child)
    return found


def test_every_client_error_becomes_a_store_error() -> None:
    from redis import exceptions

    classes = _subclasses(exceptions.RedisError)
    assert len(classes) > 30
    for kind in classes:
        error = kind.__new__(kind)  # some take parsed server replies; the message is enough
        Exception.__init__(error, "what went wrong")
        translated = translate(error, "Redis store here", "do the thing")
        assert isinstance(translated, StoreError), kind
        assert str(translated).startswith("Redis store here: cannot do the thing: "), kind
        assert "\n" not in str(translated)


@pytest.mark.parametrize("anyio_backend", ["trio"])
async def test_trio_is_refused_with_a_reason() -> None:
    store = RedisStore("redis://:secret@127.0.0.1:1/0")
    with pytest.raises(StoreError, match="runs on asyncio only") as raised:
        await store.open()
    assert "secret" not in str(raised.value)


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_an_unreachable_server_is_one_store_error_without_the_password() -> None:
    store = RedisStore(f"redis://:secret@127.0.0.1:{_free_port()}/0", timeout=2.0)
    with pytest.raises(StoreError, match="unreachable") as raised:
        await store.open()
    assert "secret" not in str(raised.value)
    assert str(raised.value).startswith(f"Redis store {describe(store.url)}: cannot open")


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_without_redis_installed_the_error_names_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)
    monkeypatch.setitem(sys.modules, "redis.asyncio", None)
    with pytest.raises(StoreError, match=r"pip install 'plait\[redis\]'"):
        await RedisStore("redis://127.0.0.1:1/0").open()


@pytest.fixture
def harness(redis_url: str) -> Iterator[RedisHarness]:
    made = RedisHarness(redis_url, f"plait_test_{uuid.uuid4().hex[:12]}")
    try:
        yield made
    finally:
        made.drop()


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("a", b"not a record", "the stored output of node `a` is corrupt: the stored value"),
        ("a", b"i" + bytes(7) + b"\x01b\x00\x00\x00\x05a", "ends at byte 15, inside a field"),
    ],
)
async def test_a_value_it_did_not_write_is_a_corrupt_record(
    harness: RedisHarness, field: str, value: bytes, expected: str
) -> None:
    async with harness.make() as store:
        await store.put_run(run())
        await store.put_outputs([OutputRecord.of("r1", "a", 1, b"1", 1.0)])
        with harness._client() as client:
            client.hset(harness.keys.outputs("r1"), field, value)
        with pytest.raises(CorruptRecordError, match=expected) as raised:
            await store.load("r1")
        assert raised.value.run_id == "r1"


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_a_run_record_it_did_not_write_is_refused_by_name(harness: RedisHarness) -> None:
    async with harness.make() as store:
        await store.put_run(run())
        with harness._client() as client:
            client.hset(harness.keys.run("r1"), "state", b"\x00")
        with pytest.raises(CorruptRecordError, match="run r1"):
            await store.load("r1")
        with pytest.raises(CorruptRecordError, match="run r1"):
            await store.list_runs()


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_two_prefixes_on_one_database_are_two_stores(harness: RedisHarness) -> None:
    other = RedisHarness(harness.url, f"{harness.prefix}_other")
    try:
        async with harness.make() as first, other.make() as second:
            await first.put_run(run("r1"))
            await second.put_run(run("r2"))
            assert [record.run_id for record in await first.list_runs()] == ["r1"]
            assert [record.run_id for record in await second.list_runs()] == ["r2"]
            await second.acquire("r1", "bob", ttl=30.0, now=1000.0)
            assert await first.leases(["r1"]) == {}
    finally:
        other.drop()


def test_the_cli_migrates_and_lists_a_redis_store(
    harness: RedisHarness, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"{harness.url}?prefix={harness.prefix}"
    assert main(["migrate", "--store", url]) == 0
    v = SCHEMA_VERSION
    assert f"schema version {v} (this plait writes {v})" in capsys.readouterr().out
    assert main(["runs", "--store", url, "--json"]) == 0
    assert capsys.readouterr().out.strip() == "[]"
    harness.set_schema_version(v + 1)
    assert main(["runs", "--store", url]) == 1
    err = capsys.readouterr().err
    assert err.startswith("plait: error: Redis store")
    assert "upgrade plait" in err
    assert len(err.strip().splitlines()) == 1


@pytest.fixture
def redis_server() -> Iterator[Path]:
    """The ``redis-server`` program; skips locally without it, fails in CI."""
    found = shutil.which("redis-server")
    if found:
        yield Path(found)
        return
    if os.environ.get("CI"):
        pytest.fail("CI is set but redis-server is missing: scripts/ci/redis.sh installs it")
    pytest.skip("no redis-server (apt-get install redis-server)")


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_a_commit_survives_kill_9_of_the_server_with_appendfsync_always(
    redis_server: Path, tmp_path: Path
) -> None:
    port = _free_port()
    url = f"redis://127.0.0.1:{port}/0"
    server = _start(redis_server, port, tmp_path)
    try:
        async with RedisStore(url) as store:
            await store.put_run(run())
            for index in range(50):  # one commit each
                await store.put_outputs([OutputRecord.of("r1", f"n{index}", 1, b"x", 1.0)])
            await store.put_outputs([OutputRecord.of("r1", "last", 1, b"the last commit", 2.0)])
        server.send_signal(signal.SIGKILL)  # no shutdown, no final rewrite: only the AOF
        server.wait()
        server = _start(redis_server, port, tmp_path)
        async with RedisStore(url) as store:
            found = await store.load("r1")
        assert found is not None
        assert len(found.outputs) == 51
        assert found.outputs["last"].data == b"the last commit"
    finally:
        server.kill()
        server.wait()


def _start(program: Path, port: int, directory: Path) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [
            str(program), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory),
            "--save", "", "--appendonly", "yes", "--appendfsync", "always",
        ],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as connection:
                connection.sendall(b"PING\r\n")
                if connection.recv(16).startswith(b"+PONG"):
                    return server
        except OSError:
            time.sleep(0.05)
    server.kill()
    server.wait()
    raise AssertionError(f"redis-server did not start on port {port}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_an_update_reapplies_when_another_commit_lands_between_read_and_write(
    harness: RedisHarness,
) -> None:
    """The other commit lands (from another thread, its own connection) while the update's
    change runs: EXEC refuses the stale commit, and the change runs again on the new value."""

    def other_commit() -> None:
        async def commit() -> None:
            async with harness.make() as other:
                plain = SharedRecord.of("run", "r1", "names", "r1", "other", b'["b"]', 2.0)
                await other.put_outputs([], [plain])

        asyncio.run(commit())

    seen: list[bytes | None] = []

    def change(latest: bytes | None) -> bytes:
        seen.append(latest)
        if len(seen) == 1:
            worker = threading.Thread(target=other_commit)
            worker.start()
            worker.join()
        names = json.loads(latest) if latest is not None else ["a"]
        return json.dumps([*names, "c"]).encode()

    async with harness.make() as store:
        await store.put_run(run())
        first = SharedRecord.of("run", "r1", "names", "r1", "first", b'["a"]', 1.0)
        await store.put_outputs([], [first])
        lease = await store.acquire("r1", "alice", ttl=30.0, now=1000.0)
        update = dataclasses.replace(
            SharedRecord.of("run", "r1", "names", "r1", "mine", b"[]", 3.0), update=change
        )
        await store.put_outputs([OutputRecord.of("r1", "a", 1, b"1", 3.0)], [update], lease=lease)
        assert seen == [b'["a"]', b'["b"]']
        stored = await store.load_shared("run", "r1", "names")
        assert stored is not None
        assert json.loads(stored.data) == ["b", "c"]

        await store.acquire("r1", "bob", ttl=30.0, now=1031.0)  # alice's lease lapsed
        with pytest.raises(LeaseLostError, match="taken over by bob"):
            await store.put_outputs([], [update], lease=lease)
        stored = await store.load_shared("run", "r1", "names")
        assert stored is not None
        assert json.loads(stored.data) == ["b", "c"]
