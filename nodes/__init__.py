"""What a unit of work is: node kinds, the run context, retry policy, types and errors."""

from plait.nodes._context import NodeId, RunContext, RunId
from plait.nodes._errors import (
    DefinitionError,
    GraphDefinitionError,
    InputError,
    NodeFailedError,
    NodeTimeoutError,
    PlaitError,
    Problem,
    RunCancelledError,
    RunError,
    RunTimeoutError,
)
from plait.nodes._function import FunctionNode, Input, Node, node, to_node
from plait.nodes._policy import NO_RETRY, RetryPolicy
from plait.nodes._types import close_matches, field_getter, field_types, is_assignable, type_name
from plait.nodes._values import check_value, from_jsonable, to_jsonable

__all__ = [
    "NO_RETRY",
    "DefinitionError",
    "FunctionNode",
    "GraphDefinitionError",
    "Input",
    "InputError",
    "Node",
    "NodeFailedError",
    "NodeId",
    "NodeTimeoutError",
    "PlaitError",
    "Problem",
    "RetryPolicy",
    "RunCancelledError",
    "RunContext",
    "RunError",
    "RunId",
    "RunTimeoutError",
    "check_value",
    "close_matches",
    "field_getter",
    "field_types",
    "from_jsonable",
    "is_assignable",
    "node",
    "to_jsonable",
    "to_node",
    "type_name",
]
