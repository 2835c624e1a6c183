"""Graphs served by ``plait mcp serve`` in the tests: ``tests.cli.cli_mcp_graphs:<name>``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from pydantic import BaseModel

from plait import Graph, GraphBuilder, node
from plait.nodes import PassthroughModel, agent
from plait.nodes.mcp import MCPServer, mcp


class Order(BaseModel):
    """What to buy."""

    item: str
    quantity: int = 1


class Receipt(BaseModel):
    """What was bought: an object output, the tool's structured content as it is."""

    item: str
    total: int
    note: str


@node
def total(order: Order) -> int:
    """Three euros apiece."""
    return order.quantity * 3


@node
def receipt(order: Order, total: int, note: str) -> Receipt:
    """The receipt."""
    return Receipt(item=order.item, total=total, note=note)


@node
def checkout(order: Order, total: int, confirmed: bool) -> str:
    """Buy, once a person said yes."""
    return f"bought {order.quantity} {order.item} for {total} EUR" if confirmed else "cancelled"


def _shop() -> Graph[Receipt]:
    builder = GraphBuilder("shop", inputs={"order": Order, "note": str})
    order = "inputs.order"
    cost = builder.add(total, inputs={"order": order})
    return builder.build(
        builder.add(receipt, inputs={"order": order, "total": cost, "note": "inputs.note"})
    )


def _confirmed_shop() -> Graph[str]:
    builder = GraphBuilder("confirmed-shop", inputs={"order": Order})
    cost = builder.add(total, inputs={"order": "inputs.order"})
    yes = builder.ask("confirm", question="Pay {total} EUR?", answer=bool, inputs={"total": cost})
    return builder.build(
        builder.add(checkout, inputs={"order": "inputs.order", "total": cost, "confirmed": yes})
    )


shop = _shop()
confirmed_shop = _confirmed_shop()


STARTS = os.environ.get("PLAIT_TEST_MCP_STARTS", os.devnull)
"""Where the fault server of ``counted`` logs its starts (a line each)."""
TOKEN = "faults-serve-token-3f9e8d7c"
"""The credential ``counted``'s server is started with; its ``token`` tool answers with it."""


def _counted() -> Graph[str]:
    server = MCPServer(
        "faults",
        command=sys.executable,
        args=("-m", "tests.fakes.mcp_faults", "--starts", STARTS),
        cwd=str(Path(__file__).resolve().parents[2]),
        env={"FAULTS_TOKEN": TOKEN},
    )
    caller = agent("caller", model=PassthroughModel(), tools=[mcp(server)])
    builder = GraphBuilder("counted", inputs={"message": str})
    return builder.build(builder.add(caller, inputs={"message": "inputs.message"}))


counted = _counted()
"""An agent calling the fault server declared here (pass ``***CALL_TOOL faults__pid {}``)."""

_x = GraphBuilder("broken", inputs={"message": str})
broken = _x.build(
    _x.add(
        agent(
            "caller",
            model=PassthroughModel(),
            tools=[mcp(MCPServer("faults", command="no-such-mcp-server-command"))],
        ),
        inputs={"message": "inputs.message"},
    )
)
"""Its MCP server's command does not exist: `plait mcp serve` refuses to start."""
