"""Errors of one sync attempt: stopped at its token, still running, or failed in its process.

Drawn in the error tree of ``plait.nodes._errors``; kept here, beside the cancel token.
"""

from __future__ import annotations

from plait.nodes._errors import NodeTimeoutError, PlaitError

__all__ = ["AttemptCancelledError", "NodeProcessError", "NodeStillRunningError"]


class NodeStillRunningError(NodeTimeoutError):
    """A timed-out sync attempt whose thread was still running after the grace period.

    Final: another attempt would run beside it. The thread cannot be stopped from outside;
    a node that must stop takes a ``CancelToken`` or runs with ``isolation="process"``.
    """

    def __init__(self, node: str, timeout: float, grace: float) -> None:
        NodeTimeoutError.__init__(self, node, timeout)
        self.grace = grace
        self.args = (
            f"node `{node}` is still running after timeout ({timeout:g} s, then {grace:g} s "
            "of grace): its thread cannot be stopped, so it is not retried. Check its "
            '`CancelToken` in the node, or run it with isolation="process" to kill it',
        )


class AttemptCancelledError(PlaitError):
    """A sync node stopped itself because its attempt was cancelled (``CancelToken``)."""


class NodeProcessError(PlaitError):
    """A node run in a subprocess raised there, or the process died without an answer.

    ``kind`` is the class name of the error in the subprocess (only its name crosses the
    process boundary: no class is rebuilt from it), or ``"exit"`` when the process died.
    """

    def __init__(self, node: str, kind: str, message: str) -> None:
        self.node = node
        self.kind = kind
        super().__init__(f'node `{node}` (isolation="process") failed: {kind}: {message}')
