"""An agent that calls a model, then a ``charge`` tool, then answers: killed and resumed.

Run as a script by ``test_journal_crash.py``:
``python journal_crash_graph.py run|resume DB LOG BACKEND``. The model writes ``llm:<n>``
(n: the messages it was sent) to LOG when asked; the tool writes ``tool`` when invoked
and ``charge <key>`` once per idempotency key. Both pause, so a kill lands mid-loop.
"""

from __future__ import annotations

import sys
from pathlib import Path

import anyio

from plait import Graph, GraphBuilder, RetryPolicy, RunContext, RunOptions
from plait.engine import open_store, resume
from plait.nodes import (
    DeltaHandler,
    Message,
    ModelRequest,
    ModelResponse,
    StopReason,
    ToolCall,
    agent,
    tool,
)

LOG: list[Path] = []


def _write(line: str) -> None:
    with LOG[0].open("a") as log:
        log.write(line + "\n")


class CountingModel:
    """Calls the tool first, then answers; logs every request it is sent."""

    name = "test.counting"

    async def complete(self, request: ModelRequest) -> ModelResponse:
        _write(f"llm:{len(request.messages)}")
        await anyio.sleep(0.3)
        if any(message.tool_results for message in request.messages):
            return ModelResponse(Message.assistant("Charged 30."))
        call = ToolCall("call_1", "charge", {"amount": 30})
        return ModelResponse(Message.assistant(call, stop_reason=StopReason.TOOL_USE))

    async def stream(self, request: ModelRequest, on_delta: DeltaHandler) -> ModelResponse:
        return await self.complete(request)


@tool
async def charge(amount: int, context: RunContext) -> str:
    """Charge the customer (once per idempotency key)."""
    _write("tool")
    await anyio.sleep(0.2)
    key = context.idempotency_key
    if f"charge {key}" not in LOG[0].read_text().splitlines():
        _write(f"charge {key}")
    await anyio.sleep(0.3)
    return f"charged {amount}"


def build() -> Graph[str]:
    pay = agent(
        "pay",
        model=CountingModel(),
        inputs={"amount": int},
        tools=[charge],
        retry=RetryPolicy(max_attempts=1),
    )
    builder = GraphBuilder("pay", inputs={"amount": int})
    return builder.build(builder.add(pay, inputs={"amount": "inputs.amount"}))


async def main(command: str, database: str, log: str) -> None:
    LOG.append(Path(log))
    store = open_store(f"sqlite:///{database}")
    await store.open()
    try:
        if command == "run":
            options = RunOptions(store=store, run_id="pay-1", lease=0.5)
            result = await build().run({"amount": 30}, options=options)
        else:
            result = await resume(build(), "pay-1", store=store, options=RunOptions(lease=0.5))
        print(result.output, flush=True)
    finally:
        await store.close()


if __name__ == "__main__":
    command, database, log, backend = sys.argv[1:5]
    anyio.run(main, command, database, log, backend=backend)
