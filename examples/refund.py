"""A support agent whose `refund` tool waits for a person: approve, deny or edit the call.

Runs offline: the model is a scripted clerk (no API key) that asks for the refund it is
told to make, then reports what the tool said.

    plait run examples.refund:graph --input '{"order": "A-1042", "amount": 30}'   # exits 3
    plait resume RUN_ID --graph examples.refund:graph \\
        --input '{"desk/call-1": {"decision": "approve"}}'
"""

from __future__ import annotations

import re

from plait import Graph, GraphBuilder
from plait.nodes import (
    DeltaHandler,
    Message,
    ModelRequest,
    ModelResponse,
    StopReason,
    TextDelta,
    ToolCall,
    ToolResult,
    agent,
    tool,
)


@tool(approval=True)
def refund(order: str, amount: int) -> str:
    """Refund part of an order to the customer's card.

    Args:
        order: The order number, such as A-1042.
        amount: Euros to refund.
    """
    return f"refunded {amount} EUR on order {order}"


class Clerk:
    """A scripted model: it calls `refund` as the request says, then reports the result."""

    name = "clerk"

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """The clerk's reply to the conversation so far."""
        last = request.messages[-1]
        results = [part for part in last.parts if isinstance(part, ToolResult)]
        if results:
            said = results[0].content
            text = f"Could not refund: {said}" if results[0].is_error else f"Done: {said}."
            return ModelResponse(Message.assistant(text), model=self.name)
        found = re.search(r"Refund (\d+) EUR on order (\S+)\.", last.text)
        amount, order = (int(found[1]), found[2]) if found else (0, "?")
        call = ToolCall("call_1", "refund", {"order": order, "amount": amount})
        asked = Message.assistant(call, stop_reason=StopReason.TOOL_USE)
        return ModelResponse(asked, model=self.name)

    async def stream(self, request: ModelRequest, on_delta: DeltaHandler) -> ModelResponse:
        """As ``complete``, the text in one piece."""
        response = await self.complete(request)
        if response.message.text:
            on_delta(TextDelta(response.message.text))
        return response


desk = agent(
    "desk",
    model=Clerk(),
    inputs={"order": str, "amount": int},
    prompt="Refund {amount} EUR on order {order}.",
    tools=[refund],
)


def wire() -> Graph[str]:
    """One agent: the refund desk."""
    builder = GraphBuilder("refund", inputs={"order": str, "amount": int})
    return builder.build(
        builder.add(desk, inputs={"order": "inputs.order", "amount": "inputs.amount"})
    )


graph = wire()
