"""The cooperative cancel token a sync node can take: set when its attempt must stop."""

from __future__ import annotations

import threading

from plait.nodes._attempt_errors import AttemptCancelledError

__all__ = ["CancelToken"]


class CancelToken:
    """Set when a sync node's attempt times out or its run is cancelled.

    A parameter annotated ``CancelToken`` receives the attempt's token instead of an input.
    A thread cannot be stopped from outside, so a long sync node checks it between steps
    (``raise_if_cancelled``) or sleeps on it (``wait``) and returns early.
    """

    __slots__ = ("_event",)

    def __init__(self) -> None:
        self._event = threading.Event()

    @property
    def cancelled(self) -> bool:
        """Whether the attempt has been told to stop."""
        return self._event.is_set()

    def cancel(self) -> None:
        """Tell the attempt to stop (the engine calls this; it is idempotent)."""
        self._event.set()

    def raise_if_cancelled(self) -> None:
        """Stop here if the attempt has been told to.

        Raises:
            AttemptCancelledError: when the token is set.
        """
        if self._event.is_set():
            raise AttemptCancelledError("the attempt was cancelled (timed out or run cancelled)")

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``, waking early when cancelled; whether it was cancelled."""
        return self._event.wait(seconds)

    def __repr__(self) -> str:
        return f"CancelToken(cancelled={self.cancelled})"
