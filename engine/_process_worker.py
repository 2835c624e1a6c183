"""The worker of ``isolation="process"``: ``python -m plait.engine._process_worker``.

It reads one JSON request on stdin (a node reference and its inputs), imports the node
function by reference (only a plait node function resolves), decodes the inputs against
its declared types, calls it, and writes one JSON reply: the output, or the error's class
name and message. Whatever the function prints goes to stderr, never into the reply.
"""

from __future__ import annotations

import json
import os
import sys

from plait.engine.stores._codec import DecodeError, decode, encode
from plait.nodes import CancelToken, resolve_reference

__all__ = ["main"]


def main() -> int:
    """Answer one request; the exit status is 0 whenever a reply was written."""
    reply_fd = os.dup(1)
    os.dup2(2, 1)  # prints of the function, even from C, go to stderr
    sys.stdout = sys.stderr
    try:
        reply = b'{"output":' + _answer(json.loads(sys.stdin.buffer.read())) + b"}"
    except Exception as error:  # the function's failure, or a bad request: reported
        kind = type(error).__name__
        reply = json.dumps({"error": {"kind": kind, "message": str(error)}}).encode()
    with os.fdopen(reply_fd, "wb") as out:
        out.write(reply)
    return 0


def _answer(request: dict[str, object]) -> bytes:
    node = resolve_reference(str(request["reference"]))
    given = request["inputs"]
    assert isinstance(given, dict)
    kwargs: dict[str, object] = {}
    for item in node.inputs:
        if item.name in given:
            data = json.dumps(given[item.name]).encode()
            try:
                kwargs[item.name] = decode(data, item.annotation)
            except DecodeError as error:
                raise TypeError(f"input `{item.name}`: {error}") from None
    if node.cancel_parameter is not None:  # the hard kill is this process's cancellation
        kwargs[node.cancel_parameter] = CancelToken()
    return encode(node.fn(**kwargs), node.output)


if __name__ == "__main__":
    raise SystemExit(main())
