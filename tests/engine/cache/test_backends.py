"""The cache backends behave alike: keep, replace, expire, clear, and never alter bytes."""

from __future__ import annotations

import dataclasses

import pytest

from plait.engine import CacheEntry, ResultCache, StoreError, open_cache

pytestmark = pytest.mark.anyio


def _entry(key: str, graph: str = "g", data: bytes = b"1", ttl: float | None = None) -> CacheEntry:
    return CacheEntry.of(key, graph, "node", data, 1000.0, ttl)


async def test_an_entry_comes_back_byte_for_byte(cache: ResultCache) -> None:
    entry = _entry("k1", data=b'{"text":"caf\xc3\xa9","n":[1,2]}', ttl=60.0)
    await cache.put(entry)
    assert await cache.get("k1", 1001.0) == entry
    assert await cache.get("other", 1001.0) is None


async def test_a_put_replaces_the_entry_under_its_key(cache: ResultCache) -> None:
    await cache.put(_entry("k1", data=b"1"))
    await cache.put(_entry("k1", data=b"2"))
    found = await cache.get("k1", 1001.0)
    assert found is not None
    assert found.data == b"2"
    assert found.intact()


async def test_an_entry_past_its_ttl_is_not_returned(cache: ResultCache) -> None:
    await cache.put(_entry("short", ttl=10.0))
    await cache.put(_entry("forever"))
    assert await cache.get("short", 1009.9) is not None
    assert await cache.get("short", 1010.0) is None
    assert await cache.get("forever", 10.0**9) is not None


async def test_clear_removes_one_graphs_entries_or_all(cache: ResultCache) -> None:
    for key, graph in (("a1", "a"), ("a2", "a"), ("b1", "b")):
        await cache.put(_entry(key, graph))
    assert await cache.clear("a") == 2
    assert await cache.get("a1", 1001.0) is None
    assert await cache.get("b1", 1001.0) is not None
    assert await cache.clear() == 1
    assert await cache.get("b1", 1001.0) is None


async def test_damaged_bytes_come_back_as_stored_and_fail_their_checksum(
    cache: ResultCache,
) -> None:
    entry = _entry("k1", data=b"12")
    await cache.put(dataclasses.replace(entry, data=b"13"))
    found = await cache.get("k1", 1001.0)
    assert found is not None
    assert not found.intact()


async def test_open_cache_opens_each_url_form(
    cache_kind: str, cache_url: str, anyio_backend: str
) -> None:
    cache = open_cache(cache_url)
    await cache.open()
    try:
        await cache.put(_entry("k1"))
        assert await cache.get("k1", 1001.0) is not None
    finally:
        await cache.close()


def test_a_url_without_a_cache_backend_is_one_clear_error() -> None:
    with pytest.raises(StoreError) as caught:
        open_cache("mongodb://:hunter2@localhost:27017/runs")
    message = str(caught.value)
    assert "`mongodb`" in message
    assert "sqlite:///" in message
    assert "hunter2" not in message
