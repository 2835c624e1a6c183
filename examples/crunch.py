"""Word statistics in two CPU-bound nodes: the README's Dask example.

Run on a cluster: ``plait run examples.crunch:graph --executor dask://local``. Nodes are
``@node`` functions in an importable module, so Dask workers import them by name.
"""

from __future__ import annotations

from plait import Graph, GraphBuilder, node


@node
def count_words(text: str) -> int:
    """How many words ``text`` has."""
    return len(text.split())


@node
def longest_word(text: str) -> str:
    """The longest word of ``text``."""
    return max(text.split(), key=len)


@node
def summary(words: int, longest: str) -> str:
    """One line about both."""
    return f"{words} words, the longest is {longest!r}"


def build() -> Graph[str]:
    builder = GraphBuilder("crunch", inputs={"text": str})
    builder.add(count_words, inputs={"text": "inputs.text"})
    builder.add(longest_word, inputs={"text": "inputs.text"})
    line = builder.add(summary, inputs={"words": "count_words", "longest": "longest_word"})
    return builder.build(line)


graph = build()
