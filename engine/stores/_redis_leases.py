"""The Redis store's leases: one hash per run (owner, token, expiry), each change one script."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from plait.engine.stores._checks import RELEASED
from plait.engine.stores._protocol import Lease, RunLockedError
from plait.engine.stores._redis_connection import RedisConnection
from plait.engine.stores._redis_queries import text, write
from plait.engine.stores._redis_records import Keys

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["acquire", "leases", "release", "renew"]


async def acquire(
    connection: RedisConnection,
    keys: Keys,
    run_id: str,
    owner: str,
    ttl: float,
    now: float,
    take_from: str | None,
) -> Lease:
    """Take, renew or take over the lease in one script: of two callers exactly one wins.

    Raises:
        RunLockedError: when another owner holds a lease that expires after ``now``.
    """
    expires = now + ttl
    args = [owner, expires, now, take_from or "", "0" if take_from is None else "1"]
    answer = await connection.script(
        "ACQUIRE", [keys.lease(run_id)], args, f"take the lease of run {run_id}"
    )
    if text(answer[0]) == "locked":
        raise RunLockedError(run_id, text(answer[1]), float(text(answer[2])) - now)
    return Lease(run_id, owner, int(text(answer[1])), expires)


async def renew(
    connection: RedisConnection, keys: Keys, lease: Lease, ttl: float, now: float
) -> Lease:
    """Extend ``lease`` when it is still the stored one.

    Raises:
        LeaseLostError: when it was taken over or given up.
    """
    doing = f"renew the lease of run {lease.run_id}"
    await write(connection, keys, "RENEW", lease, [], doing, [], [now + ttl])
    return Lease(lease.run_id, lease.owner, lease.token, now + ttl)


async def release(connection: RedisConnection, keys: Keys, run_id: str, owner: str) -> None:
    """Mark the lease released if ``owner`` holds it (its token stays)."""
    await connection.script(
        "RELEASE", [keys.lease(run_id)], [owner, RELEASED], f"release the lease of run {run_id}"
    )


async def leases(
    connection: RedisConnection, keys: Keys, run_ids: Sequence[str]
) -> dict[str, Lease]:
    """The held (not released) leases of ``run_ids``."""

    async def read(client: Redis) -> list[list[object]]:
        async with client.pipeline(transaction=False) as pipe:
            for run_id in run_ids:
                pipe.hmget(keys.lease(run_id), ["owner", "token", "expires"])
            return list(await pipe.execute())

    found = await connection.call(read, "read leases")
    held: dict[str, Lease] = {}
    for run_id, (owner, token, expires) in zip(run_ids, found, strict=True):
        if owner is not None and text(owner) != RELEASED:
            held[run_id] = Lease(run_id, text(owner), int(text(token)), float(text(expires)))
    return held
