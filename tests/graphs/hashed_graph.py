"""A graph whose content hash is compared across processes."""

from __future__ import annotations

from plait import GraphBuilder, RetryPolicy, node


@node(retry=RetryPolicy(max_attempts=2))
async def fetch(url: str) -> str:
    return url


@node
def count(text: str) -> int:
    return len(text)


def build(name: str = "hashed"):  # type: ignore[no-untyped-def]
    builder = GraphBuilder(name, inputs={"url": str}, pools={"net": 2})
    page = builder.add(fetch, pool="net", inputs={"url": "inputs.url"})
    return builder.build(builder.add(count, inputs={"text": page}))


graph = build()
