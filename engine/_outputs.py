"""A node's output, checked against its declared type before anything downstream sees it.

A node that returns the wrong type fails as that node, with a ``NodeOutputError``, instead
of breaking whichever dependent, field getter or checkpoint write touches the value first.
"""

from __future__ import annotations

import reprlib

from plait.graphs import HumanNode, JoinNode, LoopNode, MapNode, SubgraphNode
from plait.nodes import Node, NodeFailedError, NodeOutputError, fit_value, type_name

__all__ = ["checked_output", "is_wrong_output", "shown"]

_BUILT_BY_THE_ENGINE = (JoinNode, HumanNode, SubgraphNode, MapNode, LoopNode)
"""Kinds whose outputs the engine assembles from values that were checked already."""

_SHORT = reprlib.Repr()
_SHORT.maxstring = 60
_SHORT.maxother = 60


def checked_output(run_id: str, name: str, node: Node[object], value: object) -> object:
    """``value`` as ``node``'s declared output type (a fitting ``dict`` becomes the model).

    Raises:
        NodeOutputError: when the value does not fit the declared type.
    """
    declared = node.output
    if type(value) is declared or isinstance(node, _BUILT_BY_THE_ENGINE):
        return value
    fit = fit_value(declared)
    if fit is None:
        return value
    try:
        return fit(value)
    except ValueError as why:
        expected = type_name(declared)
        raise NodeOutputError(
            run_id=run_id, node=name, expected=expected, got=shown(value), reason=str(why)
        ) from None


def shown(value: object) -> str:
    """A short description of a value for an error message: its type and a clipped repr."""
    if value is None:
        return "`None`"
    return f"a `{type(value).__name__}` ({_SHORT.repr(value)})"


def is_wrong_output(error: BaseException) -> bool:
    """Whether ``error`` is a wrong output, or a body that failed with one: never retried.

    Returning the wrong type is a programming error; another attempt returns it again.
    """
    while isinstance(error, NodeFailedError):
        error = error.error
    return isinstance(error, NodeOutputError)
