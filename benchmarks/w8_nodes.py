"""W8's node functions, in a module of their own: Dask workers import them by name."""

from __future__ import annotations

import anyio

from plait import node


@node
async def wait(x: int) -> int:
    """I/O shaped, like an LLM call: 100 ms of waiting."""
    await anyio.sleep(0.1)
    return x


@node
def crunch(x: int) -> int:
    """CPU bound: about 0.5 s of pure-Python arithmetic on this machine (``ROUNDS``)."""
    total = 0
    for value in range(ROUNDS):
        total = (total + value * value) % 1_000_003
    return total + x


@node
def nothing(x: int) -> int:
    """No work: what one attempt costs the executor itself."""
    return x


ROUNDS = 6_000_000


@node
def items(x: int, count: int) -> list[int]:
    """The list a map fans out over."""
    return [x + index for index in range(count)]


@node
def both(waited: list[int], crunched: list[int]) -> int:
    """Joins the two maps of the mixed graph."""
    return len(waited) + len(crunched)
