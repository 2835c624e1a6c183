"""A run's use of its result cache: look a node up before its attempts, keep its output after.

A hit is handed on as the node's output without running it: it is staged and committed
like any output, marked ``cached`` in the ``NodeFinished`` event (so traces, the live
display and the run result see it), and counted in ``Scheduler.cached``. Nothing about the
cache can fail a run: a backend error, an entry that fails its checksum or no longer
decodes to the node's type is a miss with a warning under the ``plait.cache`` logger, and
a failed write a warning. An output or input holding one of the run's secrets is never
written to the cache.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from plait.engine._events import NodeFinished
from plait.engine._flow import route_labels
from plait.engine._outputs import checked_output
from plait.engine._result import NodeStatus
from plait.engine.cache._keys import cache_key, node_hash
from plait.engine.cache._protocol import CacheEntry, ResultCache
from plait.engine.stores._codec import DecodeError, decode, encode
from plait.graphs import Step
from plait.nodes import CachePolicy

if TYPE_CHECKING:
    from plait.engine._scheduler import Scheduler

__all__ = ["LOGGER", "Lookup"]

LOGGER = "plait.cache"
_log = logging.getLogger(LOGGER)


class Lookup:
    """One node execution's cache key, and whether the cache held its output."""

    __slots__ = ("cache", "hit", "key", "path", "policy", "scheduler", "step", "value")

    def __init__(
        self, scheduler: Scheduler, step: Step, cache: ResultCache, policy: CachePolicy
    ) -> None:
        self.scheduler = scheduler
        self.step = step
        self.cache = cache
        self.policy = policy
        self.path = scheduler.names[step.index]
        self.key: str | None = None
        self.hit = False
        self.value: object = None

    @classmethod
    async def of(cls, scheduler: Scheduler, step: Step) -> Lookup | None:
        """Look ``step`` up; ``None`` when the run has no cache or the node no policy."""
        cache, policy = scheduler.options.cache, step.node.cache
        if cache is None or policy is None:
            return None
        lookup = cls(scheduler, step, cache, policy)
        await lookup.find()
        return lookup

    async def find(self) -> None:
        scheduler, step = self.scheduler, self.step
        root = _root(scheduler)
        if self.policy.key == "node":
            basis = node_hash(scheduler.graph, step.node.id)
        else:
            basis = root.graph.content_hash
        inputs = scheduler.args[step.index]
        self.key = cache_key(self.policy, basis, self.path, inputs)
        if self.key is None or (root.secrets and _has_secret(root, _encoded(inputs))):
            self.key = None  # not cached: inputs that cannot be encoded, or hold a secret
            return
        try:
            entry = await self.cache.get(self.key, scheduler.options.wall())
        except Exception as error:  # a cache that fails is a miss, never a failed run
            _log.warning("result cache: node `%s`: lookup failed, running it: %s", self.path, error)
            return
        if entry is None:
            return
        value = self.decoded(entry)
        if value is _MISS:
            return
        self.hit, self.value = True, value
        self.deliver()

    def decoded(self, entry: CacheEntry) -> object:
        """The entry's value, or ``_MISS`` (with a warning) when it is damaged or stale."""
        if not entry.intact():
            reason = "its data does not match its checksum"
        else:
            try:
                value = decode(entry.data, self.step.node.output)
                if self.step.routes is not None:
                    route_labels(self.scheduler, self.step, value)
                scheduler = self.scheduler
                return checked_output(scheduler.run_id, self.path, self.step.node, value)
            except (DecodeError, Exception) as error:  # a wrong type or label is a miss too
                reason = f"it does not decode to the node's output type ({error})"
        _log.warning(
            "result cache: node `%s`: ignoring entry %s: %s; running the node",
            self.path,
            self.key[:12] if self.key else "",
            reason,
        )
        return _MISS

    def deliver(self) -> None:
        """Hand the cached value on: status, staging for the commit, the event."""
        scheduler, index, value = self.scheduler, self.step.index, self.value
        scheduler.attempts[index] = 0
        scheduler.statuses[index] = NodeStatus.RUNNING
        scheduler.cached.add(index)
        if scheduler.checkpoint is not None:
            scheduler.checkpoint.stage(self.path, self.step.node.output, value)
        if scheduler.listeners:
            scheduler.emit(
                NodeFinished, node=self.path, attempt=0, duration=0.0, output=value, cached=True
            )

    async def keep(self, value: object) -> None:
        """Write the node's fresh output under its key (best effort: a failure is logged)."""
        if self.key is None or self.hit:
            return
        scheduler = self.scheduler
        root = _root(scheduler)
        try:
            data = encode(value)
        except TypeError as error:
            _log.warning("result cache: node `%s`: output not cached: %s", self.path, error)
            return
        if _has_secret(root, data):
            return
        entry = CacheEntry.of(
            self.key, root.graph.name, self.path, data, scheduler.options.wall(), self.policy.ttl
        )
        try:
            await self.cache.put(entry)
        except Exception as error:
            _log.warning("result cache: node `%s`: output not cached: %s", self.path, error)


_MISS = object()


def _root(scheduler: Scheduler) -> Scheduler:
    while scheduler.parent is not None:
        scheduler = scheduler.parent
    return scheduler


def _encoded(inputs: object) -> bytes:
    try:
        return encode(inputs)
    except TypeError:
        return b""


def _has_secret(root: Scheduler, data: bytes) -> bool:
    secrets = root.secrets
    return bool(secrets) and secrets.mask_json(data) != data
