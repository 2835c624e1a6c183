"""Tools that need a person: a call waits for a decision (approve, deny or edit).

A call of a tool that needs approval is a question keyed by the agent's path and the
call's journal index (``triage/call-3``). The person's decision is journaled under that
key (kind ``approval``) when it is given; the agent reads it from the journal on resume:
``approve`` runs the tool once, ``edit`` runs it with the edited arguments, ``deny`` goes
back to the model as the tool's result (an error, with the reason). Without a decision
the agent raises ``ApprovalPendingError``, which the engine turns into a waiting run.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from plait.nodes._context import RunContext
from plait.nodes._errors import AgentError
from plait.nodes.agents._journal import CallLog
from plait.nodes.agents._tools import Tool
from plait.nodes.llm._messages import ToolCall, ToolResult

__all__ = [
    "APPROVAL_KIND",
    "ApprovalPendingError",
    "ApprovalRequest",
    "Decision",
    "approval_key",
    "decision_from",
    "decision_of_data",
    "denied",
    "gated_call",
    "question_of",
]

APPROVAL_KIND = "approval"
"""The journal kind of a decision, and the prefix of its question's key."""

DecisionKind = Literal["approve", "deny", "edit"]
_KINDS: tuple[DecisionKind, ...] = ("approve", "deny", "edit")


@dataclass(frozen=True, slots=True)
class Decision:
    """A person's answer to a tool call: run it, refuse it, or run it with other arguments."""

    decision: DecisionKind
    arguments: Mapping[str, object] | None = None
    """The edited arguments (``edit`` only)."""
    reason: str = ""

    def to_data(self) -> dict[str, object]:
        """The decision as JSON data (what the journal keeps)."""
        data: dict[str, object] = {"decision": self.decision, "reason": self.reason}
        if self.arguments is not None:
            data["arguments"] = dict(self.arguments)
        return data


@dataclass(frozen=True, slots=True)
class ApprovalRequest:
    """One tool call waiting for a person: its question's key, the tool and the call."""

    key: str
    tool: str
    call: ToolCall
    schema: Mapping[str, object] = field(repr=False)

    @property
    def question(self) -> str:
        """What the person is asked."""
        arguments = json.dumps(dict(self.call.arguments), ensure_ascii=False, sort_keys=True)
        return f"Approve the call of tool `{self.tool}` with {arguments}?"


class ApprovalPendingError(AgentError):
    """Tool calls wait for a person's decision; a run with a store waits for it (status
    ``waiting``), outside a run this is raised."""

    def __init__(self, *, node: str, requests: Sequence[ApprovalRequest]) -> None:
        self.requests = tuple(requests)
        asked = "; ".join(f"`{item.key}`: {item.question}" for item in self.requests)
        super().__init__(
            f"tool calls wait for approval: {asked} (run the agent in a graph with a store, "
            "then answer with `plait resume` or resume(..., answers=...))",
            node=node,
        )


def approval_key(node: str, index: int) -> str:
    """The question key of call ``index`` of the agent at path ``node``."""
    return f"{node}/call-{index}"


def question_of(key: str, tool: Tool[..., object], call: ToolCall) -> ApprovalRequest:
    """The question for ``call``: its answer's JSON Schema offers the call's arguments as
    the default, so the shape printed for it shows what the model asked."""
    schema: dict[str, object] = {
        "type": "object",
        "properties": {
            "decision": {"enum": list(_KINDS)},
            "arguments": {**tool.arguments.schema, "default": dict(call.arguments)},
            "reason": {"type": "string", "default": ""},
        },
        "required": ["decision"],
        "additionalProperties": False,
    }
    return ApprovalRequest(key, tool.name, call, schema)


def decision_from(
    key: str, tool: Tool[..., object], asked: Mapping[str, object], value: object
) -> Decision:
    """The decision ``value`` (JSON data) says, for a call of ``tool`` with ``asked``.

    Raises:
        ValueError: naming the question and what is wrong: not an object, an unknown
            field or decision, a reason that is not text, arguments with ``approve`` that
            differ from the call's, or edited arguments that do not fit the tool.
    """
    where = f"the answer for `{key}`"
    shape = '{"decision": "approve" | "deny" | "edit", "arguments": {...}, "reason": "..."}'
    if not isinstance(value, Mapping):
        raise ValueError(f"{where} must be an object {shape}, not {type(value).__name__}")
    unknown = sorted(set(value) - {"decision", "arguments", "reason"})
    if unknown:
        raise ValueError(f"{where} has unknown field(s) {', '.join(unknown)}; expected {shape}")
    kind = value.get("decision")
    if kind not in _KINDS:
        raise ValueError(
            f'{where}: "decision" must be "approve", "deny" or "edit", not {json.dumps(kind)}'
        )
    reason = value.get("reason", "")
    if not isinstance(reason, str):
        raise ValueError(f'{where}: "reason" must be text, not {type(reason).__name__}')
    arguments = value.get("arguments")
    if kind != "edit":
        if arguments is not None and arguments != dict(asked):
            raise ValueError(
                f'{where}: "arguments" differ from the call\'s, but the decision is '
                f'"{kind}" (say "decision": "edit" to run the tool with other arguments)'
            )
        return Decision(kind, None, reason)
    if not isinstance(arguments, Mapping):
        raise ValueError(f'{where}: "edit" needs "arguments", an object of the tool\'s arguments')
    try:
        tool.arguments.validate(dict(arguments))
    except ValueError as error:
        raise ValueError(
            f"{where}: the edited arguments do not fit tool `{tool.name}`: {error} "
            "(fix them and answer again; the run still waits)"
        ) from None
    return Decision("edit", dict(arguments), reason)


def decision_of_data(data: Mapping[str, object]) -> Decision:
    """A journaled decision back (written by ``Decision.to_data``)."""
    kind = data.get("decision")
    arguments = data.get("arguments")
    reason = data.get("reason", "")
    return Decision(
        next((known for known in _KINDS if known == kind), "deny"),
        dict(arguments) if isinstance(arguments, Mapping) else None,
        reason if isinstance(reason, str) else "",
    )


def denied(call: ToolCall, reason: str) -> ToolResult:
    """What the model hears of a denied call."""
    because = f": {reason}" if reason else ""
    return ToolResult(
        call.id,
        f"A person denied this call of tool `{call.name}`{because}. It did not run.",
        is_error=True,
        name=call.name,
    )


async def gated_call(
    tool: Tool[..., object], call: ToolCall, index: int, log: CallLog, node: str
) -> ToolResult | ApprovalRequest:
    """Call ``index`` of a tool that needs approval, by the agent at path ``node``: its
    result once decided (the tool run as approved or edited, or the denial), else the
    question to ask."""
    key = approval_key(node, index)
    found = await log.decision(key)
    if found is None:
        return question_of(key, tool, call)
    decision = decision_of_data(json.loads(found))
    if decision.decision == "deny":

        async def refuse(context: RunContext | None) -> ToolResult:
            return denied(call, decision.reason)

        return await log.tool(index, call, refuse)
    if decision.arguments is not None:
        call = replace(call, arguments=dict(decision.arguments))
    return await log.tool(index, call, functools.partial(tool.invoke, call))
