"""``plait runs --status``: a stored status, or ``interrupted`` (a stored ``running`` with
no live owner, as ``plait.engine.shown_statuses`` tells; resume takes it over)."""

from __future__ import annotations

from plait.cli._usage import CliError

__all__ = ["status_filter"]


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
