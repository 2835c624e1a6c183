"""Taking a run's lease: at once from a process that is gone, from a live one on request."""

from __future__ import annotations

import time
from collections.abc import Sequence

from plait.engine.stores._lease import describe_owner, owner_gone
from plait.engine.stores._protocol import Lease, RunLockedError, RunRecord, Store

__all__ = ["live_holder", "shown_statuses", "take_lease"]


async def take_lease(
    store: Store, run_id: str, owner: str, ttl: float, now: float, *, take_over: bool
) -> Lease:
    """The run's lease for ``owner``: taken at once when it is free, expired, or held by a
    process of this host that is gone (dead pid, zombie, pid reused); taken from a live
    holder only when ``take_over`` (that holder's next write is refused).

    Raises:
        RunLockedError: when another live process holds it and ``take_over`` is not set.
    """
    try:
        return await store.acquire(run_id, owner, ttl, now)
    except RunLockedError as locked:
        if not (take_over or owner_gone(locked.owner)):
            raise
        # Only from that holder: if another took it in between, this fails again.
        return await store.acquire(run_id, owner, ttl, now, take_from=locked.owner)


def live_holder(lease: Lease | None, now: float) -> str | None:
    """Who holds ``lease`` (``pid 4242 on host box1``) when its holder is alive: the lease
    is unexpired at ``now`` and its process is not known to be gone; else None (the run,
    if it says ``running``, was interrupted: its process died or stalled past its lease).
    """
    if lease is None or lease.expires_at <= now or owner_gone(lease.owner):
        return None
    return describe_owner(lease.owner)


async def shown_statuses(store: Store, records: Sequence[RunRecord]) -> dict[str, str]:
    """Each run's status as ``plait runs`` and ``plait ui`` show it: a stored ``running``
    is ``interrupted`` unless its lease's holder is alive (``live_holder``)."""
    running = [record.run_id for record in records if record.status.value == "running"]
    leases = await store.leases(running) if running else {}
    now = time.time()
    return {
        record.run_id: "interrupted"
        if record.status.value == "running" and live_holder(leases.get(record.run_id), now) is None
        else record.status.value
        for record in records
    }
