"""The node bodies every engine runs: the same functions, so only the engine differs."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Sequence

import anyio

__all__ = [
    "JOIN_CODE",
    "NAP_SECONDS",
    "Join",
    "branch_names",
    "make_join",
    "nap",
    "nap_asyncio",
    "noop",
]

NAP_SECONDS = 0.05
"""How long each W3 branch sleeps."""

Join = Callable[..., Awaitable[int]]
"""A join body: one keyword argument per branch, returns their sum."""


async def noop(x: int) -> int:
    """Return ``x``: the cheapest possible node."""
    return x


async def nap(x: int) -> int:
    """Sleep ``NAP_SECONDS`` with anyio, then return ``x``."""
    await anyio.sleep(NAP_SECONDS)
    return x


async def nap_asyncio(x: int) -> int:
    """Sleep ``NAP_SECONDS`` with asyncio (for LangGraph), then return ``x``."""
    await asyncio.sleep(NAP_SECONDS)
    return x


def branch_names(n: int) -> list[str]:
    """The ids of ``n`` parallel branches: ``b0`` .. ``b{n-1}``."""
    return [f"b{index}" for index in range(n)]


def make_join(names: Sequence[str]) -> Join:
    """An async join taking one ``int`` keyword argument per name, typed for plait."""

    async def join(**values: int) -> int:
        return sum(values.values())

    parameters = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=int) for name in names
    ]
    join.__signature__ = inspect.Signature(parameters, return_annotation=int)  # type: ignore[attr-defined]
    join.__annotations__ = {**dict.fromkeys(names, int), "return": int}
    return join


JOIN_CODE = make_join(()).__code__
"""The code object every join made by ``make_join`` shares, to count its calls."""
