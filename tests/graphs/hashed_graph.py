"""Graphs whose content hashes are compared across processes and pinned."""

from __future__ import annotations

from typing import Literal

from plait import Graph, GraphBuilder, RetryPolicy, node


@node(retry=RetryPolicy(max_attempts=2))
async def fetch(url: str) -> str:
    return url


@node
def count(text: str) -> int:
    return len(text)


@node
def pick(text: str) -> Literal["short", "long"]:
    return "short" if len(text) < 10 else "long"


@node
async def trim(text: str) -> str:
    return text[:10]


@node
async def grow(text: str) -> str:
    return text + text


def build(name: str = "hashed"):  # type: ignore[no-untyped-def]
    builder = GraphBuilder(name, inputs={"url": str}, pools={"net": 2})
    page = builder.add(fetch, pool="net", inputs={"url": "inputs.url"})
    return builder.build(builder.add(count, inputs={"text": page}))


def build_control() -> Graph[object]:
    """Routes, a racing join, a map and a loop: every kind the canonical form describes."""
    body = GraphBuilder("double", inputs={"text": str})
    body.add(grow, inputs={"text": "inputs.text"})
    builder = GraphBuilder("control", inputs={"url": str, "urls": list[str]}, timeout=30.0)
    page = builder.add(fetch, inputs={"url": "inputs.url"})
    router = builder.add(pick, inputs={"text": page})
    short = builder.add(trim, id="short", inputs={"text": page})
    long = builder.add(trim, id="long", inputs={"text": page})
    builder.route(router, {"short": short, "long": long})
    joined = builder.join("either", inputs={"short": short, "long": long}, policy="first")
    mapped = builder.map(count, over="text", max_items=5, inputs={"text": "inputs.urls"})
    looped = builder.loop(
        body.build("grow"), carry="text", max_iterations=3, inputs={"text": joined}
    )
    return builder.build(builder.join("out", inputs={"sizes": mapped, "grown": looped}))


graph = build()
control = build_control()
