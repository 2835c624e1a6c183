"""The status ``plait runs`` shows: a stored ``running`` with no live owner is
``interrupted`` (its process died, or stalled past its lease); resume takes it over."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from plait.cli._usage import CliError

if TYPE_CHECKING:
    from plait.engine import RunRecord, Store

__all__ = ["shown_statuses", "status_filter"]


async def shown_statuses(store: Store, records: Sequence[RunRecord]) -> dict[str, str]:
    """Each run's status as shown: a stored ``running`` is ``interrupted`` unless its
    lease's holder is alive (``plait.engine.live_holder``)."""
    from plait.engine import live_holder

    running = [record.run_id for record in records if record.status.value == "running"]
    leases = await store.leases(running) if running else {}
    now = time.time()
    return {
        record.run_id: "interrupted"
        if record.status.value == "running" and live_holder(leases.get(record.run_id), now) is None
        else record.status.value
        for record in records
    }


def status_filter(given: str | None) -> str | None:
    """``--status``'s value, checked.

    Raises:
        CliError: when it names no status.
    """
    from plait.engine import StoredStatus

    known = [status.value for status in StoredStatus] + ["interrupted"]
    if given is not None and given not in known:
        raise CliError(f"--status {given!r}: expected one of {', '.join(known)}")
    return given
