"""Sync nodes run with ``isolation="process"``: a subprocess per attempt, killed when it must stop.

The function travels by reference (``module:qualname``) and the worker imports the same
code from the same ``sys.path``; inputs and the output cross as JSON through plait's codec,
checked against the declared types. On timeout or cancellation the worker's whole process
group is killed and reaped before the attempt ends, so nothing of it outlives the attempt.
"""

from __future__ import annotations

import json
import math
import os
import signal
import sys
from collections.abc import Mapping

import anyio
import anyio.abc

from plait.engine.stores._codec import DecodeError, decode, encode
from plait.nodes import FunctionNode, NodeProcessError, NodeTimeoutError, reference_of

__all__ = ["call_in_process"]

WORKER = "plait.engine._process_worker"


async def call_in_process(
    node: FunctionNode[object], name: str, kwargs: Mapping[str, object], limit: float | None
) -> object:
    """Run ``node`` on ``kwargs`` in a fresh subprocess; its output, decoded.

    Raises:
        NodeTimeoutError: when it overran ``limit`` seconds (the process was killed).
        NodeProcessError: when the function raised there, or the process died.
    """
    request = _request(node, name, kwargs)
    deadline = math.inf if limit is None else anyio.current_time() + limit
    with anyio.CancelScope(deadline=deadline):
        reply = await _exchange(request)
        return _output(node, name, reply)
    assert limit is not None
    raise NodeTimeoutError(name, limit)


def _request(node: FunctionNode[object], name: str, kwargs: Mapping[str, object]) -> bytes:
    inputs: dict[str, object] = {}
    for item in node.inputs:
        if item.name in kwargs:
            try:
                inputs[item.name] = json.loads(encode(kwargs[item.name], item.annotation))
            except TypeError as error:
                raise NodeProcessError(name, "input", f"`{item.name}`: {error}") from None
    return json.dumps({"reference": reference_of(node.fn), "inputs": inputs}).encode()


def _output(node: FunctionNode[object], name: str, reply: tuple[int, bytes, bytes]) -> object:
    code, out, err = reply
    try:
        answer = json.loads(out)
    except ValueError:
        tail = err.decode(errors="replace").strip().splitlines()[-3:]
        detail = " | ".join(tail) or "no output"
        message = f"the process ended with code {code}: {detail}"
        raise NodeProcessError(name, "exit", message) from None
    if "error" in answer:
        error = answer["error"]
        raise NodeProcessError(name, str(error["kind"]), str(error["message"]))
    try:
        return decode(json.dumps(answer["output"]).encode(), node.output)
    except DecodeError as error:
        raise NodeProcessError(name, "output", str(error)) from None


async def _exchange(request: bytes) -> tuple[int, bytes, bytes]:
    """Send the request, read both streams, reap the worker; kill it if cancelled."""
    process = await anyio.open_process(
        [sys.executable, "-m", WORKER], env=_environment(), start_new_session=os.name == "posix"
    )
    try:
        out, err = bytearray(), bytearray()
        async with anyio.create_task_group() as group:
            assert process.stdout is not None
            assert process.stderr is not None
            group.start_soon(_drain, process.stdout, out)
            group.start_soon(_drain, process.stderr, err)
            assert process.stdin is not None
            async with process.stdin:
                await process.stdin.send(request)
        code = await process.wait()
    except BaseException:
        _kill(process)
        with anyio.CancelScope(shield=True):
            await process.wait()
            await process.aclose()
        raise
    await process.aclose()
    return code, bytes(out), bytes(err)


async def _drain(stream: anyio.abc.ByteReceiveStream, into: bytearray) -> None:
    async for chunk in stream:
        into.extend(chunk)


def _kill(process: anyio.abc.Process) -> None:
    """Kill the worker and anything it started (its own process group, on POSIX)."""
    try:
        if os.name == "posix":
            os.killpg(process.pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows has no process groups to kill
            process.kill()
    except ProcessLookupError:
        pass


def _environment() -> dict[str, str]:
    """This process's environment, with its ``sys.path``: the worker imports the same code."""
    environment = dict(os.environ)
    paths = [os.path.abspath(entry or os.curdir) for entry in sys.path]
    environment["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return environment
