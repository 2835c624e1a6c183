"""What a store raises: its failures, corrupt records, and leases held or lost."""

from __future__ import annotations

from plait.engine.stores._lease import describe_owner
from plait.nodes import PlaitError

__all__ = ["CorruptRecordError", "LeaseLostError", "RunLockedError", "StoreError"]


class StoreError(PlaitError):
    """A store could not do what was asked (bad URL, schema too new, I/O failure)."""


class CorruptRecordError(StoreError):
    """A stored record fails its seal or cannot be decoded; names the run and the record
    (``record``: the run row, its graph description, ``output of node `x```, ...)."""

    def __init__(self, run_id: str, node: str, reason: str, *, record: str | None = None) -> None:
        self.run_id = run_id
        self.node = node
        self.record = record or f"output of node `{node}`"
        message = f"run {run_id}: the stored {self.record} is corrupt: {reason}"
        # a name read back from corrupt bytes may hold lone surrogates: shown escaped
        super().__init__(message.encode("utf-8", "backslashreplace").decode())


class RunLockedError(StoreError):
    """Another process holds the run's lease: who (``owner``), until when (``expires_at``)."""

    def __init__(self, run_id: str, owner: str, expires_in: float) -> None:
        self.run_id = run_id
        self.owner = owner
        self.expires_in = expires_in
        super().__init__(
            f"run {run_id} is held by {describe_owner(owner)} (its lease expires in "
            f"{max(expires_in, 0):.0f} s unless renewed); wait for it to finish, or take it "
            f"over with `plait resume {run_id} --force` (take_over=True): the other process "
            "then stops at its next write"
        )


class LeaseLostError(StoreError):
    """This process no longer holds the run's lease: another took it over (``owner``),
    or it was given up (``owner`` is None). Nothing more is written for the run."""

    def __init__(self, run_id: str, owner: str | None, *, taken: bool = True) -> None:
        self.run_id = run_id
        self.owner = owner
        if owner is not None:
            holder = f"taken over by {describe_owner(owner)}"
        else:
            holder = "taken over by another process, since released" if taken else "given up"
        super().__init__(
            f"run {run_id}: this process lost the run's lease ({holder}); it stopped without "
            "writing anything more, and the run is left to its new owner"
        )
