"""The Redis store's commit of outputs and shared memory writes, ``update``s included.

A commit without updates is one script. A commit with updates (``SharedMemory.update``)
must apply each change to its key's latest value, which Python computes: the store WATCHes
the updated keys, reads their latest values, applies the changes, and runs the same script
in MULTI/EXEC; when another commit wrote one of those keys in between, EXEC does nothing
and the whole commit is read and applied again. The script still checks the lease (the
fence) as it writes, so a commit and its lease check stay one atomic step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from plait.engine.stores import _redis_rows as records
from plait.engine.stores._checks import last_per_node, verified_shared
from plait.engine.stores._protocol import Lease, OutputRecord, SharedRecord
from plait.engine.stores._redis_connection import RedisConnection
from plait.engine.stores._redis_queries import answered, fenced, write
from plait.engine.stores._redis_reads import shared_read
from plait.engine.stores._redis_records import Keys
from plait.engine.stores._seal import Sealer

if TYPE_CHECKING:
    from redis.asyncio.client import Pipeline

__all__ = ["put_outputs"]

Where = tuple[str, str, str]


async def put_outputs(
    connection: RedisConnection,
    keys: Keys,
    sealer: Sealer,
    outputs: Sequence[OutputRecord],
    shared: Sequence[SharedRecord],
    lease: Lease | None,
) -> None:
    """Write outputs (the last of each node) and shared memory writes in one script,
    each update applied to its key's latest committed value.

    Raises:
        CorruptRecordError: when a record's checksum does not match its bytes, or an
            updated key's latest value is corrupt.
        StoreError: when a record's run does not exist.
    """
    kept = last_per_node(outputs)
    writes = [verified_shared(item) for item in shared]
    if not kept and not writes:
        return
    runs = sorted({record.run_id for record in kept} | {item.run_id for item in writes})
    doing = "store outputs"
    if not any(item.update is not None for item in writes):
        script_keys, args = _arguments(keys, sealer, runs, kept, writes)
        await write(connection, keys, "PUT_OUTPUTS", lease, runs, doing, script_keys, args)
        return
    fence_key, fence_args = fenced(keys, lease, runs)
    updated = sorted({item.where_key for item in writes if item.update is not None})

    async def prepare(pipe: Pipeline) -> tuple[list[str], list[object]]:
        latest: dict[Where, bytes | None] = {}
        for where in updated:
            found = await shared_read(pipe, keys, sealer, *where)
            latest[where] = None if found is None else found.data
        applied = []
        for item in writes:
            if item.update is not None:
                item = item.applied(latest[item.where_key])
            latest[item.where_key] = item.data  # a later write in the batch sees this one
            applied.append(item)
        script_keys, args = _arguments(keys, sealer, runs, kept, applied)
        return [fence_key, *script_keys], [*fence_args, *args]

    watch = [keys.shared_key(*where) for where in updated]
    answer = await connection.watched_script("PUT_OUTPUTS", watch, prepare, doing)
    answered(connection, answer, lease, runs, doing)


def _arguments(
    keys: Keys,
    sealer: Sealer,
    runs: list[str],
    kept: Sequence[OutputRecord],
    writes: Sequence[SharedRecord],
) -> tuple[list[str], list[object]]:
    """``PUT_OUTPUTS``'s keys and arguments, after the fence's."""
    script_keys = [keys.version, keys.shared, *map(keys.run, runs)]
    script_keys += [keys.outputs(record.run_id) for record in kept]
    args: list[object] = [len(runs), len(kept), len(writes), *runs]
    for record in kept:
        args += [record.node, records.output_value(record, sealer)]
    for item in writes:
        script_keys += [keys.shared_key(item.scope, item.owner, item.key)]
        script_keys += [keys.shared_run(item.run_id)]
        args += [records.shared_field(item), records.shared_value(item, sealer)]
    return script_keys, args
