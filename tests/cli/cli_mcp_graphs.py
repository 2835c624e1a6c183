"""Graphs served by ``plait mcp serve`` in the tests: ``tests.cli.cli_mcp_graphs:<name>``."""

from __future__ import annotations

from pydantic import BaseModel

from plait import Graph, GraphBuilder, node


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
