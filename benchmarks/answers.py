"""Reduce an engine's result to the int a workload checks, outside the timed region."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["as_int", "in_chain_order"]


def as_int(value: object) -> int:
    """``value`` itself, which must be an int.

    Raises:
        TypeError: when it is not.
    """
    if not isinstance(value, int):
        raise TypeError(f"expected an int, got {type(value).__name__}")
    return value


def in_chain_order(ids: Sequence[str]) -> int:
    """How many ids sit at their place in ``n0, n1, ...`` (``len(ids)`` when all do)."""
    return sum(1 for index, node_id in enumerate(ids) if node_id == f"n{index}")
