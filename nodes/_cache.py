"""Cache policy: whether a node's output may be reused by a later run, and for how long."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

__all__ = ["CacheKey", "CachePolicy"]

CacheKey = Literal["graph", "node"]
"""What a cached output is tied to besides the node path and inputs: the whole graph's
content hash (``graph``: any change to the graph is a miss) or the node's own definition
(``node``: only a change to this node is)."""


@dataclass(frozen=True, slots=True)
class CachePolicy:
    """Reuse this node's output across runs when its inputs are the same.

    A run with a result cache (``RunOptions(cache=...)``, on by default in the CLI) looks
    the node up before running it: a hit skips the node and hands on the stored output. The
    key is ``key``'s hash (the graph's or the node's), the node path, a hash of the encoded
    inputs, and ``version`` (bump it when the function's body changes, which no hash sees).

    ``ttl`` is how many seconds an entry stays usable (``None``: until cleared).
    """

    ttl: float | None = None
    key: CacheKey = "graph"
    version: str = ""

    def __post_init__(self) -> None:
        ttl = self.ttl
        if ttl is not None and (isinstance(ttl, bool) or not math.isfinite(ttl) or ttl <= 0):
            raise ValueError(f"invalid CachePolicy: ttl is positive seconds or None, got {ttl!r}")
        if self.key not in ("graph", "node"):
            raise ValueError(f"invalid CachePolicy: key is 'graph' or 'node', got {self.key!r}")

    def describe(self) -> dict[str, object]:
        """The policy as JSON-ready data (the graph's canonical form and specs use it)."""
        return {"ttl": self.ttl, "key": self.key, "version": self.version}
