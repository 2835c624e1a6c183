"""Both ends of a remote attempt, without the cluster library: what travels and how.

What travels is data only: the node's reference (``module:qualname``) and each input as
JSON bytes from plait's codec; back comes a tagged tuple of strings and bytes. The
worker decodes each input against the type the node itself declares.
"""

from __future__ import annotations

from collections.abc import Mapping

from plait.engine.executors._protocol import RemoteImportError, RemoteNodeError
from plait.engine.stores._codec import decode, encode
from plait.nodes import FunctionNode, resolve_reference

__all__ = ["Reply", "encoded_inputs", "function_of", "outcome", "output_of", "run_remote"]

Reply = tuple[str, bytes | str, str]
"""``("ok", output, "")``, ``("error", type, message)`` or ``("import", module, message)``."""


def encoded_inputs(inputs: Mapping[str, object]) -> dict[str, bytes]:
    """Each input as codec JSON.

    Raises:
        TypeError: when an input's value cannot be encoded.
    """
    return {name: encode(value) for name, value in inputs.items()}


def function_of(ref: str) -> tuple[FunctionNode[object] | None, Reply | None]:
    """The node named by ``ref`` on this worker, or the reply saying why not."""
    try:
        return resolve_reference(ref), None
    except ImportError as error:
        module = ref.partition(":")[0]
        return None, ("import", module, f"{type(error).__name__}: {error}")
    except LookupError as error:
        return None, ("error", "LookupError", str(error))


def decoded_inputs(node: FunctionNode[object], inputs: Mapping[str, bytes]) -> dict[str, object]:
    """The inputs as values of the types ``node`` declares."""
    values: dict[str, object] = {}
    for name, data in inputs.items():
        declared = node.input(name)
        values[name] = decode(data, declared.annotation if declared is not None else object)
    return values


def failure(error: BaseException) -> Reply:
    return ("error", type(error).__qualname__, str(error))


def run_remote(ref: str, inputs: Mapping[str, bytes]) -> Reply:
    """Run a sync node function by reference, on a worker thread."""
    node, refused = function_of(ref)
    if node is None:
        assert refused is not None
        return refused
    try:
        value = node.fn(**decoded_inputs(node, inputs))
        return ("ok", encode(value), "")
    except Exception as error:  # the node's error goes back as data, never pickled
        return failure(error)


async def run_remote_async(ref: str, inputs: Mapping[str, bytes]) -> Reply:
    """Run an async node function by reference, on the worker's event loop."""
    node, refused = function_of(ref)
    if node is None:
        assert refused is not None
        return refused
    try:
        value = await node.fn(**decoded_inputs(node, inputs))  # type: ignore[misc]
        return ("ok", encode(value), "")
    except Exception as error:
        return failure(error)


def outcome(reply: Reply, node: FunctionNode[object], path: str, worker: str) -> object:
    """The node's value from a worker's reply, or the error it stands for.

    Raises:
        RemoteImportError: when the worker could not import the node's module.
        RemoteNodeError: when the node raised on the worker.
    """
    tag = reply[0]
    if tag == "ok" and isinstance(reply[1], bytes):
        return output_of(reply[1], node)
    if tag == "import":
        raise RemoteImportError(path, str(reply[1]), worker, str(reply[2]))
    raise RemoteNodeError(path, str(reply[1]), str(reply[2]), worker)


def output_of(data: bytes, node: FunctionNode[object]) -> object:
    return decode(data, node.output)
