"""A graph with a cached node: ``plait run examples.cached:graph --input '{"text": "a b"}'``
runs ``parse`` once; later runs with the same text reuse its output from the cache."""

from __future__ import annotations

from plait import CachePolicy, GraphBuilder, node


@node(cache=CachePolicy(ttl=3600))
def parse(text: str) -> list[str]:
    """Split the text into words (an expensive parse, say)."""
    return text.split()


@node
def count(words: list[str]) -> str:
    """How many words."""
    return f"{len(words)} words"


_builder = GraphBuilder("cached", inputs={"text": str})
graph = _builder.build(
    _builder.add(count, inputs={"words": _builder.add(parse, inputs={"text": "inputs.text"})})
)
