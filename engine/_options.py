"""Run options: small frozen values handed to a run."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from plait.engine._clock import Clock, SystemClock
from plait.engine.cache._protocol import ResultCache
from plait.engine.executors._protocol import Executor
from plait.engine.stores._protocol import Store
from plait.nodes import Secrets

if TYPE_CHECKING:
    from plait.nodes import MCPHub

__all__ = ["RunOptions", "new_run_id"]

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case


def new_run_id() -> str:
    """A 26-character id that sorts by start time (48-bit ms time + 80 random bits)."""
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        value, digit = divmod(value, 32)
        chars.append(_ALPHABET[digit])
    return "".join(reversed(chars))


@dataclass(frozen=True, slots=True)
class RunOptions:
    """How one run behaves, beyond what the graph itself declares."""

    max_concurrency: int | None = None
    """At most this many node attempts run at once across the whole run."""
    timeout: float | None = None
    """Seconds the whole run may take; past it the run fails with ``RunTimeoutError``."""
    clock: Clock = field(default_factory=SystemClock)
    """Where retry waits sleep and event times come from (``ManualClock`` in tests)."""
    seed: int | None = None
    """Seeds the retry jitter, for reproducible schedules."""
    run_id: str | None = None
    """Use this id instead of a new one."""
    id_factory: Callable[[], str] = new_run_id
    store: Store | None = None
    """Checkpoint every node output here (an opened store), so the run can resume."""
    durability: Literal["sync", "async", "exit"] = "sync"
    """When outputs are committed: before dependents start (``sync``), in the background
    (``async``: a crash may lose the last few), or at the end (``exit``)."""
    lease: float = 30.0
    """Seconds a crashed process keeps the run locked before another may resume it."""
    wall: Callable[[], float] = time.time
    """Wall-clock time for stored timestamps and leases."""
    secrets: Secrets | None = None
    """Secret values to mask in what the run stores, besides those its agents' catalogs
    know (the CLI passes its configuration's)."""
    mcp: MCPHub | None = None
    """MCP servers shared across runs: an open hub (``async with MCPHub(...) as hub``) whose
    servers this run uses instead of starting its own (by default each run starts its own)."""
    executor: Executor | None = None
    """Where function nodes' attempts run unless placed otherwise (``None``: here)."""
    executors: Mapping[str, Executor] = field(default_factory=dict)
    """Executors by name, for nodes marked ``executor="NAME"`` and pools called NAME.
    Opened (``async with``) by the caller; checked before the run starts."""
    cache: ResultCache | None = None
    """Where nodes with a ``CachePolicy`` find and keep their outputs across runs (an
    opened cache); ``None``: every node runs."""

    def __post_init__(self) -> None:
        if self.max_concurrency is not None and self.max_concurrency < 1:
            raise ValueError(f"max_concurrency must be at least 1, got {self.max_concurrency}")
        if self.timeout is not None and self.timeout <= 0:
            raise ValueError(f"timeout must be positive, got {self.timeout}")
