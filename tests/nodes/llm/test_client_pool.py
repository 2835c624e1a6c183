"""Provider SDK clients are shared while their catalog is open: built once, pooled, closed.

The real anthropic and openai SDKs against the fake servers on loopback sockets; the
SDK client classes are wrapped to count constructions and see closes, and the server
counts the TCP connections it accepts.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anthropic
import anyio
import openai
import pytest

from plait import GraphBuilder
from plait.nodes import ModelCatalog, PlaitConfig, ProviderConfig, Secret, agent
from tests.fakes import anthropic_api as api
from tests.fakes import openai_api
from tests.fakes.server import FakeServer, running_server

pytestmark = pytest.mark.anyio

N = 20


class Built:
    """Every SDK client constructed, in order."""

    def __init__(self) -> None:
        self.clients: list[Any] = []

    @property
    def closed(self) -> list[bool]:
        return [client.is_closed() for client in self.clients]


def counting(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> Built:
    built = Built()
    original = getattr(module, name)

    class Counted(original):  # type: ignore[misc,valid-type]
        def __init__(self, **arguments: Any) -> None:
            super().__init__(**arguments)
            built.clients.append(self)

    monkeypatch.setattr(module, name, Counted)
    return built


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with running_server(keep_alive=True) as running:
        yield running


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> Built:
    return counting(monkeypatch, anthropic, "AsyncAnthropic")


def catalog(server: FakeServer, key: str = "sk-ant-pool") -> ModelCatalog:
    claude = ProviderConfig(api_key=Secret(key), base_url=server.url)
    gpt = ProviderConfig(api_key=Secret(key), base_url=f"{server.url}/v1")
    return ModelCatalog(PlaitConfig(providers={"anthropic": claude, "openai": gpt}))


def answers(server: FakeServer, count: int) -> None:
    server.script(*(api.message(api.text(f"answer {index}")) for index in range(count)))


def mapped_agents(models: ModelCatalog, model: str = "anthropic.claude-sonnet-5") -> Any:
    """A graph running one agent per item of ``messages``, all at once."""
    b = GraphBuilder("many", inputs={"messages": list[str]})
    ask = agent("ask", model=model, models=models)
    return b.build(b.map(ask, over="message", inputs={"message": "inputs.messages"}))


async def test_parallel_agent_calls_share_one_sdk_client(server: FakeServer, built: Built) -> None:
    answers(server, N)
    models = catalog(server)
    graph = mapped_agents(models)

    async with models:
        result = await graph.run({"messages": [f"q{index}" for index in range(N)]})
        assert built.closed == [False]

    assert sorted(result.output) == sorted(f"answer {index}" for index in range(N))
    assert len(server.requests) == N
    assert len(built.clients) == 1  # built once, although N tasks asked for it at once
    assert built.closed == [True]  # closing the catalog closed it


async def test_sequential_calls_reuse_one_connection(server: FakeServer, built: Built) -> None:
    answers(server, 5)
    models = catalog(server)
    ask = agent("ask", model="anthropic.claude-sonnet-5", models=models)

    async with models:
        for index in range(5):
            assert (await ask.run({"message": f"q{index}"})).output == f"answer {index}"

    assert len(server.requests) == 5
    assert server.connections == 1  # kept alive between calls
    assert len(built.clients) == 1


async def test_parallel_bursts_keep_their_connections(server: FakeServer, built: Built) -> None:
    answers(server, 3 * N)
    models = catalog(server)
    graph = mapped_agents(models)

    async with models:
        for _ in range(3):
            await graph.run({"messages": ["q"] * N})

    assert len(server.requests) == 3 * N
    assert server.connections <= N  # later bursts reuse the first burst's connections
    assert len(built.clients) == 1


async def test_outside_an_open_catalog_each_call_closes_its_own_client(
    server: FakeServer, built: Built
) -> None:
    answers(server, 3)
    ask = agent("ask", model="anthropic.claude-sonnet-5", models=catalog(server))

    for _ in range(3):
        await ask.run({"message": "q"})

    assert len(built.clients) == 3
    assert built.closed == [True, True, True]


async def test_aclose_closes_the_clients_even_while_held_open(
    server: FakeServer, built: Built
) -> None:
    answers(server, 2)
    models = catalog(server)
    ask = agent("ask", model="anthropic.claude-sonnet-5", models=models)

    async with models, models:  # nested owners: the inner exit keeps it open
        await ask.run({"message": "q"})
        await models.aclose()
        assert built.closed == [True]
        await ask.run({"message": "q"})  # no longer open: a client of its own

    assert len(built.clients) == 2
    assert built.closed == [True, True]


async def test_different_keys_get_different_clients(server: FakeServer, built: Built) -> None:
    answers(server, 4)
    first, second = catalog(server, "sk-ant-one"), catalog(server, "sk-ant-two")
    ask_first = agent("a", model="anthropic.claude-sonnet-5", models=first)
    ask_second = agent("b", model="anthropic.claude-haiku-4-5", models=second)
    ask_first_again = agent("c", model="anthropic.claude-haiku-4-5", models=first)

    async with first, second:
        for node in (ask_first, ask_second, ask_first_again):
            await node.run({"message": "q"})

    assert len(built.clients) == 2  # one per catalog; the model name is not part of the key
    keys = [client.api_key for client in built.clients]
    assert keys == ["sk-ant-one", "sk-ant-two"]


async def test_openai_clients_are_shared_too(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened = counting(monkeypatch, openai, "AsyncOpenAI")
    server.script(*(openai_api.response(openai_api.output_message("fine")) for _ in range(N)))
    models = catalog(server)
    graph = mapped_agents(models, "openai.gpt-5-mini")

    async with models:
        result = await graph.run({"messages": ["q"] * N})

    assert result.output == ["fine"] * N
    assert len(opened.clients) == 1
    assert opened.closed == [True]


def test_each_event_loop_gets_its_own_client(server: FakeServer, built: Built) -> None:
    """A catalog used by one asyncio run and then one trio run builds a client for each."""
    answers(server, 2)
    models = catalog(server)
    ask = agent("ask", model="anthropic.claude-sonnet-5", models=models)

    async def once() -> None:
        async with models:
            await ask.run({"message": "q"})

    anyio.run(once, backend="asyncio")
    anyio.run(once, backend="trio")

    assert len(built.clients) == 2
    assert built.closed == [True, True]


async def test_a_run_shares_one_client_with_no_catalog_opened_by_the_user(
    server: FakeServer, built: Built
) -> None:
    answers(server, N)
    graph = mapped_agents(catalog(server))  # the user never opens the catalog

    result = await graph.run({"messages": [f"q{index}" for index in range(N)]})

    assert len(result.output) == N
    assert len(built.clients) == 1  # the run held the catalog open: one client, shared
    assert built.closed == [True]  # and closed it when the run ended


async def test_agents_with_no_catalog_share_the_run_s_default_one(
    server: FakeServer, built: Built, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-from-the-environment")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
    answers(server, N)
    b = GraphBuilder("many", inputs={"messages": list[str]})
    ask = agent("ask", model="anthropic.claude-sonnet-5")  # no catalog: the environment's
    graph = b.build(b.map(ask, over="message", inputs={"message": "inputs.messages"}))

    result = await graph.run({"messages": [f"q{index}" for index in range(N)]})

    assert len(result.output) == N
    assert len(built.clients) == 1
    assert built.closed == [True]
    assert server.connections <= N
