"""Embedders: the hashing one, and OpenAI's through the real SDK against a fake
``/v1/embeddings`` server on a loopback socket."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from plait.nodes import AuthenticationError, RateLimitedError, Secret
from plait.nodes.memory.vectors import (
    Embedder,
    HashingEmbedder,
    NumpyIndex,
    OpenAIEmbedder,
    VectorError,
    VectorMemory,
)
from tests.fakes import openai_api as api
from tests.fakes.server import FakeServer, Reply, running_server

pytestmark = pytest.mark.anyio

KEY = "sk-proj-embed-SECRET-0123456789"


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with running_server() as running:
        yield running


def embedder(
    server: FakeServer, dimensions: int | None = None, batch_size: int = 512
) -> OpenAIEmbedder:
    return OpenAIEmbedder(
        "text-embedding-3-small",
        api_key=Secret(KEY),
        base_url=f"{server.url}/v1",
        dimensions=dimensions,
        batch_size=batch_size,
    )


async def test_hashing_vectors_are_deterministic_unit_and_share_words() -> None:
    hashing = HashingEmbedder(64)
    assert isinstance(hashing, Embedder)
    first, again, other, empty = await hashing.embed(["The cat sat", "the CAT sat", "dogs", ""])
    assert first == again
    assert len(first) == 64
    assert sum(x * x for x in first) == pytest.approx(1.0)
    assert sum(x * x for x in empty) == pytest.approx(1.0)
    assert first != other
    # fixed across processes and machines: BLAKE2b, not hash()
    assert (await HashingEmbedder(8).embed(["plait"]))[0] == [
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        1.0,
        0.0,
    ]
    with pytest.raises(VectorError, match="give a list"):
        await hashing.embed("cat")


async def test_openai_vectors_come_in_order_through_the_sdk(server: FakeServer) -> None:
    server.script(api.embeddings([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]))
    openai = embedder(server, dimensions=3)

    vectors = await openai.embed(["first", "second"])

    assert vectors == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]  # sorted by index
    [seen] = server.requests
    assert seen.path == "/v1/embeddings"
    assert seen.headers["authorization"] == f"Bearer {KEY}"
    assert seen.body == {
        "model": "text-embedding-3-small",
        "input": ["first", "second"],
        "encoding_format": "float",
        "dimensions": 3,
    }
    assert openai.dimension == 3
    assert openai.name == "openai:text-embedding-3-small"


async def test_openai_batches_and_fills_a_vector_memory(server: FakeServer) -> None:
    server.script(
        api.embeddings([[1.0, 0.0], [0.0, 1.0]]),
        api.embeddings([[1.0, 1.0]]),
        api.embeddings([[0.1, 1.0]]),
    )
    openai = embedder(server, dimensions=2, batch_size=2)
    memory = VectorMemory(NumpyIndex(2), openai)

    await memory.add(["x", "y", "xy"], ["east", "north", "north-east"])
    [best, *_] = await memory.search("mostly north")

    assert [len(seen.body["input"]) for seen in server.requests] == [2, 1, 1]
    assert best.id == "y"
    assert best.metadata == {"text": "north"}


async def test_openai_errors_map_to_plait_errors_without_the_key(server: FakeServer) -> None:
    limited = {"error": {"message": "slow down", "type": "rate_limit_error"}}
    server.script(
        Reply(429, limited, headers={"retry-after": "2"}),
        Reply(401, {"error": {"message": f"bad key {KEY}", "type": "invalid_request_error"}}),
    )
    openai = embedder(server)
    with pytest.raises(RateLimitedError) as limited_error:
        await openai.embed(["a"])
    assert limited_error.value.retry_after == 2
    with pytest.raises(AuthenticationError) as auth:
        await openai.embed(["a"])
    assert KEY not in str(auth.value)
    assert KEY not in repr(openai)


async def test_a_reply_of_the_wrong_dimension_is_refused(server: FakeServer) -> None:
    server.script(api.embeddings([[1.0, 2.0]]))
    with pytest.raises(VectorError, match="vector of 2 dimensions, expected 1536"):
        await embedder(server).embed(["a"])


def test_an_embedder_and_an_index_of_other_dimensions_do_not_pair() -> None:
    with pytest.raises(VectorError, match="hashing:16 makes 16-dimensional vectors but the"):
        VectorMemory(NumpyIndex(8), HashingEmbedder(16))


def test_the_key_comes_from_the_environment_as_the_sdk_reads_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(VectorError, match="set OPENAI_API_KEY"):
        OpenAIEmbedder()
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    assert OpenAIEmbedder().base_url == "http://127.0.0.1:9/v1"
    with pytest.raises(VectorError, match="pass dimensions="):
        OpenAIEmbedder("some-other-model")
