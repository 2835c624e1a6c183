"""The effect journal through the real anthropic SDK: a retried or resumed agent replays
its finished calls (the fake server counts the requests, a file counts the charges)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from plait import Graph, GraphBuilder, RetryPolicy, RunOptions
from plait.engine import MemoryStore, SQLiteStore, Store, resume
from plait.nodes import (
    AnthropicModel,
    NodeFailedError,
    NondeterminismError,
    RunContext,
    Secret,
    TransientProviderError,
    agent,
    tool,
)
from tests.fakes import anthropic_api as api
from tests.fakes.server import FakeServer, running_server

pytestmark = pytest.mark.anyio

RETRY = RetryPolicy(
    max_attempts=3, initial_delay=0.0, jitter=0.0, retry_on=(TransientProviderError,)
)


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with running_server() as running:
        yield running


def pay_graph(
    server: FakeServer, ledger: Path, instructions: str = "Charge {amount}."
) -> Graph[str]:
    @tool
    def charge(amount: int, context: RunContext) -> str:
        """Charge the customer."""
        with ledger.open("a") as file:
            file.write(f"{amount} {context.idempotency_key}\n")
        return f"charged {amount}"

    model = AnthropicModel("claude-sonnet-5", api_key=Secret("sk-ant-test"), base_url=server.url)
    pay = agent(
        "pay",
        model=model,
        instructions=instructions,
        inputs={"amount": int},
        tools=[charge],
        retry=RETRY,
    )
    b = GraphBuilder("pay", inputs={"amount": int})
    return b.build(b.add(pay, inputs={"amount": "inputs.amount"}))


def script_charge(server: FakeServer, *, final_failure: int) -> None:
    server.script(
        api.message(api.tool_use("toolu_1", "charge", {"amount": 30}), stop_reason="tool_use"),
        api.error(
            final_failure,
            "overloaded_error" if final_failure == 529 else "invalid_request_error",
            "not now",
        ),
        api.message(api.text("Charged 30.")),
    )


def bodies(server: FakeServer) -> list[str]:
    return [json.dumps(seen.body, sort_keys=True) for seen in server.requests]


@pytest.mark.parametrize("durable", [False, True], ids=["no-store", "sqlite"])
async def test_a_retried_agent_replays_its_model_call_and_tool_from_the_journal(
    server: FakeServer, tmp_path: Path, durable: bool
) -> None:
    ledger = tmp_path / "ledger.txt"
    script_charge(server, final_failure=529)
    store: Store | None = SQLiteStore(tmp_path / "runs.db") if durable else None
    if store is not None:
        await store.open()

    result = await pay_graph(server, ledger).run(
        {"amount": 30}, options=RunOptions(store=store, run_id="p1")
    )

    assert result.output == "Charged 30."
    assert result.nodes["pay"].attempts == 2
    sent = bodies(server)
    assert len(sent) == 3  # call 0 once; call 2 failed, then was asked again
    assert sent[1] == sent[2]
    assert sent.count(sent[0]) == 1
    lines = ledger.read_text().splitlines()
    assert len(lines) == 1  # the tool ran once, not again on the retry
    assert lines[0].startswith("30 ")
    assert lines[0].endswith("/1")
    if store is not None:
        stored = await store.load("p1")
        assert stored is not None
        assert [(c.node, c.index, c.kind) for c in stored.journal] == [
            ("pay", 0, "llm"),
            ("pay", 1, "tool"),
            ("pay", 2, "llm"),
        ]
        await store.close()


async def test_a_changed_prompt_on_resume_is_nondeterminism_unless_fresh(
    server: FakeServer, tmp_path: Path
) -> None:
    ledger = tmp_path / "ledger.txt"
    script_charge(server, final_failure=400)  # not transient: the run fails at call 2
    store = MemoryStore()
    first = await pay_graph(server, ledger).run(
        {"amount": 30}, options=RunOptions(store=store, run_id="p1")
    )
    assert isinstance(first.error, NodeFailedError)
    assert len(server.requests) == 2

    changed = pay_graph(server, ledger, instructions="Charge {amount} euros.")
    second = await resume(changed, "p1", store=store, force=True)

    assert isinstance(second.error, NodeFailedError)
    cause = second.error.__cause__
    assert isinstance(cause, NondeterminismError)
    assert (cause.node, cause.call, cause.kind) == ("pay", 0, "llm")
    assert "node `pay`, call 0 (llm)" in str(cause)
    assert "$.system: " in str(cause)
    assert "--fresh pay" in str(cause)
    assert len(server.requests) == 2  # nothing was sent
    assert len(ledger.read_text().splitlines()) == 1

    server.replies.clear()
    server.script(
        api.message(api.tool_use("toolu_2", "charge", {"amount": 30}), stop_reason="tool_use"),
        api.message(api.text("Charged 30 euros.")),
    )
    third = await resume(changed, "p1", store=store, force=True, fresh=["pay"])

    assert third.output == "Charged 30 euros."
    assert len(server.requests) == 4  # a forced fresh start asks again
    assert len(ledger.read_text().splitlines()) == 2


async def test_resuming_a_crashed_agent_re_pays_nothing(server: FakeServer, tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.txt"
    script_charge(server, final_failure=400)
    store = MemoryStore()
    graph = pay_graph(server, ledger)
    await graph.run({"amount": 30}, options=RunOptions(store=store, run_id="p1"))
    server.script(api.message(api.text("Charged 30.")))

    result = await resume(graph, "p1", store=store)

    assert result.output == "Charged 30."
    sent = bodies(server)
    assert len(sent) == 3
    assert sent.count(sent[0]) == 1
    assert len(ledger.read_text().splitlines()) == 1


async def test_fresh_names_a_node_of_the_graph(server: FakeServer, tmp_path: Path) -> None:
    store = MemoryStore()
    script_charge(server, final_failure=400)
    graph = pay_graph(server, tmp_path / "ledger.txt")
    await graph.run({"amount": 30}, options=RunOptions(store=store, run_id="p1"))

    with pytest.raises(Exception, match=r"cannot start `payy` fresh: graph `pay` has no such node"):
        await resume(graph, "p1", store=store, fresh=["payy"])


def test_plait_resume_fresh_is_one_clear_line_for_an_unknown_node(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from plait.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["run", "examples.approval:graph", "--input", '{"amount": 30}', "--json"]) == 3
    run_id = json.loads(capsys.readouterr().out)["run_id"]

    code = main(["resume", run_id, "--graph", "examples.approval:graph", "--fresh", "nope"])

    err = capsys.readouterr().err
    assert code != 0
    assert "plait: error:" in err
    assert "cannot start `nope` fresh" in err
    assert "Traceback" not in err
