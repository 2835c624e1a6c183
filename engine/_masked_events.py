"""Events as listeners see them: with the run's secrets masked in every value they carry.

A listener is a sink like a checkpoint or a trace (it may log, print or ship what it
gets), so an event whose inputs, output, report or message holds a configured secret
reaches it masked (with the traces' mask: traces and cassettes are made of events).
The value handed on to dependent nodes is not changed: only the event. An error cannot
be copied masked (it is the exception that was raised), so an event carrying one carries
the run's secrets beside it (``secrets``), to mask its message and traceback with.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from plait.engine._events import (
    Event,
    NodeFailed,
    NodeFinished,
    NodeReported,
    NodeRetrying,
    NodeSkipped,
    NodeWaiting,
    RunFinished,
    RunStarted,
)
from plait.engine.traces._values import MASK
from plait.nodes import Secrets, to_jsonable

__all__ = ["masked_event"]


def masked_event(event: Event, secrets: Secrets) -> Event:
    """``event``, or a copy of it whose carried values have ``secrets`` masked."""
    if isinstance(event, NodeFinished):
        output = _masked(event.output, secrets)
        return event if output is event.output else dataclasses.replace(event, output=output)
    if isinstance(event, NodeReported):
        data = _masked(event.data, secrets)
        if data is event.data or not isinstance(data, Mapping):
            return event
        return dataclasses.replace(event, data=data)
    if isinstance(event, RunStarted):
        inputs = _masked(event.inputs, secrets)
        if inputs is event.inputs or not isinstance(inputs, Mapping):
            return event
        return dataclasses.replace(event, inputs=inputs)
    if isinstance(event, NodeWaiting):
        return dataclasses.replace(event, question=secrets.mask(event.question, MASK))
    if isinstance(event, NodeSkipped):
        return dataclasses.replace(event, reason=secrets.mask(event.reason, MASK))
    if isinstance(event, NodeRetrying | NodeFailed | RunFinished):
        # an error is the caller's object, not copied: listeners mask its text with these
        return dataclasses.replace(event, secrets=secrets)
    return event


def _masked(value: object, secrets: Secrets) -> object:
    """``value`` itself when no secret occurs in it; otherwise a masked copy (plain JSON
    data is walked as it is, as token and tool reports are; other values go through their
    JSON form)."""
    if isinstance(value, str):
        masked = secrets.mask(value, MASK)
        return value if masked == value else masked
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Mapping):
        for item in value.values():  # no copy unless something is masked
            if _masked(item, secrets) is not item:
                return {name: _masked(inner, secrets) for name, inner in value.items()}
        return value
    if isinstance(value, list | tuple):
        for item in value:
            if _masked(item, secrets) is not item:
                return [_masked(inner, secrets) for inner in value]
        return value
    try:
        plain = to_jsonable(value)
    except (TypeError, ValueError):  # not JSON-able: its text, masked, stands in for it
        text = repr(value)
        masked = secrets.mask(text, MASK)
        return value if masked == text else masked
    changed = _masked(plain, secrets)
    return value if changed is plain else changed
