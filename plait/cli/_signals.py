"""SIGTERM handled like Ctrl-C, so ``kill PID`` ends a run the way an interrupt does."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["terminate_as_interrupt"]


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # Hand over to whatever handles Ctrl-C now: the event loop installs its own (it cancels
    # the run, which records it cancelled, then raises KeyboardInterrupt); with none, raise.
    handler = signal.getsignal(signal.SIGINT)
    if callable(handler):
        handler(signal.SIGINT, frame)
    else:
        signal.default_int_handler(signal.SIGINT, frame)


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """While inside, a SIGTERM acts as a SIGINT (only the main thread can set handlers)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
