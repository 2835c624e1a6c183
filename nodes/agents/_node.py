"""Agent nodes: a model with instructions, tools and a typed output, as a graph node.

The agent runs the tool-calling loop (parallel tool calls, an iteration cap, invalid
arguments and tool failures sent back to the model), asks for structured output through
the provider and gives an invalid reply one repair round. Streamed tokens, tool calls,
tool results and usage are reported as run events. An agent whose output type is a
``Literal``/``Enum`` of labels is an LLM router.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Generic, Literal, Protocol, TypeVar, runtime_checkable

import anyio

from plait.nodes._context import RunContext
from plait.nodes._errors import (
    ConfigError,
    OutputValidationError,
    PlaitError,
    ToolLoopLimitError,
    TransientProviderError,
)
from plait.nodes._function import Node
from plait.nodes._policy import RetryPolicy
from plait.nodes.agents._approval import ApprovalPendingError, ApprovalRequest, gated_call
from plait.nodes.agents._journal import CallLog
from plait.nodes.agents._output import as_text, output_format, render
from plait.nodes.agents._tools import Tool
from plait.nodes.llm._catalog import ModelCatalog
from plait.nodes.llm._messages import Message, ToolCall, ToolResult, Usage
from plait.nodes.llm._model import Delta, ModelClient, ModelRequest, ModelResponse, TextDelta
from plait.nodes.llm._secret import Secrets
from plait.nodes.mcp._errors import MCPServerError
from plait.nodes.mcp._hub import AgentParts
from plait.nodes.mcp._refs import MCPReference
from plait.nodes.memory._protocol import Memory

__all__ = ["AGENT_RETRY", "AgentNode", "AgentResult", "NodeBoundModel"]

OutputT = TypeVar("OutputT")
OutputT_co = TypeVar("OutputT_co", covariant=True)

AGENT_RETRY = RetryPolicy(
    max_attempts=3,
    initial_delay=1.0,
    max_delay=60.0,
    retry_on=(TransientProviderError, MCPServerError),
)
"""An agent's default policy: transient provider errors (rate limited, overloaded,
timeouts, dropped connections) are tried again, honouring ``retry_after``, and so is an
MCP server that failed mid-call (the next attempt starts it again); nothing else."""


@runtime_checkable
class NodeBoundModel(Protocol):
    """A model instance that wants to know which node execution calls it (a cassette's).

    An agent whose ``model`` has ``for_node`` asks it, on each execution, for the client
    to use there, handing over the ``RunContext`` (node path, attempt, run id).
    """

    def for_node(self, context: RunContext) -> ModelClient:
        """The client for this node execution."""
        ...


@dataclass(frozen=True, slots=True)
class AgentResult(Generic[OutputT_co]):
    """One agent call: its output, the new messages, and what it used and cost."""

    output: OutputT_co
    messages: tuple[Message, ...]
    """The new turn and every reply and tool result after it."""
    usage: Usage
    cost: float | None
    """US dollars; ``None`` when the model's price is unknown."""
    model: str
    tool_rounds: int
    repaired: bool
    """Whether the output needed the repair round."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentNode(Node[OutputT_co]):
    """An LLM call as a node: its inputs fill the templates, its output is typed."""

    model: str | ModelClient = field(compare=False)
    """A model string (resolved by ``models`` on each run) or a client instance."""
    instructions: str = ""
    """The system prompt, a ``{input}`` template."""
    prompt: str | None = None
    """The user message, a ``{input}`` template; ``None`` sends the inputs themselves."""
    tools: tuple[Tool[..., object], ...] = ()
    """The tools this agent may call (its allowlist)."""
    approve: tuple[str, ...] | Literal["all"] = ()
    """The tools whose every call waits for a person here (``"all"``: every tool), besides
    those made with ``@tool(approval=True)``."""
    max_iterations: int = 10
    """The most tool-calling rounds before the agent gives up."""
    parallel_tool_calls: bool = True
    memory: Memory | None = field(default=None, compare=False)
    """Where the agent keeps its threads; without one, an agent with a ``thread_input``
    uses its run's (``RunContext.memory``: the store's, shared across runs)."""
    thread_input: str | None = None
    """The input holding the conversation's thread id (``"default"`` without one)."""
    prompt_messages: tuple[Message, ...] = ()
    """Fixed messages sent first on every call (few-shot examples), never stored."""
    models: ModelCatalog | None = field(default=None, compare=False)
    stream: bool = True
    """Stream replies (as ``token`` events) when someone listens to the run."""
    max_tokens: int | None = None
    reasoning: str | None = None
    mcp: tuple[MCPReference, ...] = ()
    """MCP tool sources, resources and prompt (``mcp()``, ``mcp_resource()``, ...)."""

    @property
    def kind(self) -> str:
        """Always ``"agent"``."""
        return "agent"

    def facts(self) -> Mapping[str, object]:
        """Model, instructions, prompt and tools: what the content hash must see."""
        model = self.model if isinstance(self.model, str) else type(self.model).__qualname__
        approved = [item.name for item in self.tools if self.needs_approval(item)]
        return {
            **({"approve": approved} if approved else {}),
            "model": model,
            "instructions": self.instructions,
            "prompt": self.prompt,
            "tools": [item.name for item in self.tools],
            "max_iterations": self.max_iterations,
            "parallel_tool_calls": self.parallel_tool_calls,
            "thread_input": self.thread_input,
            "max_tokens": self.max_tokens,
            "reasoning": self.reasoning,
            **({"mcp": [f"{type(ref).__name__}:{ref}" for ref in self.mcp]} if self.mcp else {}),
        }

    @property
    def mcp_servers(self) -> tuple[MCPReference, ...]:
        """The references whose servers a run must start for this agent: all of ``mcp``
        (an agent replaying a cassette takes its MCP tools from the recording: none)."""
        return self.mcp

    def needs_approval(self, item: Tool[..., object]) -> bool:
        """Whether each call of ``item`` waits for a person's decision."""
        return item.approval or self.approve == "all" or item.name in self.approve

    def with_model(
        self, model: str | ModelClient | None = None, *, models: ModelCatalog | None = None
    ) -> AgentNode[OutputT_co]:
        """A copy using ``model`` and/or the catalog ``models`` (``None`` keeps each)."""
        return replace(
            self,
            model=self.model if model is None else model,
            models=self.models if models is None else models,
        )

    def secrets(self) -> Secrets:
        """The secrets its calls use, for the engine to mask in what it records: its
        catalog's (the default catalog's without one), a given client's own, and those of
        MCP servers declared with its references (header and secret ``env`` values)."""
        declared = (ref.declared.secrets() for ref in self.mcp if ref.declared is not None)
        found = (self.models or ModelCatalog()).secrets() | Secrets(sum(declared, ()))
        own = getattr(self.model, "secrets", None)
        return found | own() if callable(own) else found

    async def execute(self, inputs: Mapping[str, object], context: RunContext) -> object:
        """Run the agent for the engine: the output only (usage goes out as events)."""
        result = await self.run(inputs, context=context)
        return result.output

    def client(self, context: RunContext | None = None) -> ModelClient:
        """The client for one run: the instance given, or a new one from the model string.

        With a ``context``, an instance that is a ``NodeBoundModel`` gives the client for
        that node execution instead.

        Raises:
            ConfigError: for an unknown model or a provider without an API key.
        """
        if not isinstance(self.model, str):
            if context is not None and isinstance(self.model, NodeBoundModel):
                return self.model.for_node(context)
            return self.model
        shared = context.models if context is not None else None
        return (self.models or shared or ModelCatalog()).client(self.model)

    async def run(
        self, inputs: Mapping[str, object], *, context: RunContext | None = None
    ) -> AgentResult[OutputT_co]:
        """Run the agent on ``inputs`` (by input name) and return the whole result.

        Raises:
            ProviderError: the provider failed (transient kinds are retried by the
                engine under the node's policy).
            ToolLoopLimitError: the model still called tools after ``max_iterations``.
            OutputValidationError: the reply did not fit the output type after repair.
            ConfigError: the model cannot be resolved.
        """
        emit = _emitter(context)
        client = self.client(context)
        output = output_format(self.output)
        values = {item.name: inputs[item.name] for item in self.inputs if item.name in inputs}
        thread = str(values.get(self.thread_input, "default")) if self.thread_input else "default"
        memory = self._memory(context)
        node = self.id if context is None else context.node
        history = await memory.read(thread, node) if memory is not None else ()
        new: list[Message] = [Message.user(self._user_text(values))]
        parts = await self._mcp_parts(context)
        tools = (*self.tools, *parts.tools)
        by_name = {item.name: item for item in tools}
        streaming = self.stream and _wants_tokens(context)
        usage = Usage()
        costs: list[float | None] = []
        rounds = 0
        repaired = False
        log = CallLog(context)
        price = functools.partial(_price, self.models or ModelCatalog(), client.name)
        while True:
            request = ModelRequest(
                messages=(*self.prompt_messages, *history, *new),
                system=parts.system(render(self.instructions, values)),
                tools=tuple(item.spec for item in tools),
                parallel_tool_calls=self.parallel_tool_calls,
                output=output.schema,
                max_tokens=self.max_tokens,
                reasoning=self.reasoning,
            )
            ask = functools.partial(_ask, client, request, emit if streaming else None)
            response = await log.model(request, client.name, ask, price)
            usage += response.usage
            cost = price(response)
            costs.append(cost)
            emit("usage", {"model": client.name, **response.usage.to_dict(), "cost": cost})
            reply = response.message
            new.append(reply)
            if reply.tool_calls:
                if rounds >= self.max_iterations:
                    raise ToolLoopLimitError(node=self.id, max_iterations=self.max_iterations)
                rounds += 1
                results = await self._call_tools(reply.tool_calls, by_name, log, emit)
                new.append(Message("user", tuple(results)))
                continue
            try:
                value = output.parse(reply.text)
            except ValueError as error:
                if repaired:
                    raise OutputValidationError(
                        node=self.id, expected=output.expected, reason=str(error), reply=reply.text
                    ) from None
                repaired = True
                new.append(Message.user(output.repair_prompt(str(error))))
                continue
            break
        if memory is not None:  # the node's turn, once it has finished
            await memory.append(thread, node, len(history), new)
        total = None if any(cost is None for cost in costs) else sum(c or 0.0 for c in costs)
        return AgentResult(
            output=value,  # type: ignore[arg-type]
            messages=tuple(new),
            usage=usage,
            cost=total,
            model=client.name,
            tool_rounds=rounds,
            repaired=repaired,
        )

    def _memory(self, context: RunContext | None) -> Memory | None:
        if self.memory is not None:
            return self.memory
        if self.thread_input is None or context is None:
            return None
        return context.memory

    async def _mcp_parts(self, context: RunContext | None) -> AgentParts:
        """The tools, prompt and resources of this agent's MCP servers, held open by the run."""
        if not self.mcp:
            return AgentParts()
        if context is None or context.mcp is None:
            raise ConfigError(
                f"agent `{self.id}` uses MCP servers: run it in a graph (graph.run), whose "
                "run starts them and holds them open"
            )
        return await context.mcp.parts(self.mcp, [item.name for item in self.tools])

    def _user_text(self, values: Mapping[str, object]) -> str:
        if self.prompt is not None:
            return render(self.prompt, values)
        shown = {name: value for name, value in values.items() if name != self.thread_input}
        if len(shown) == 1:
            return as_text(next(iter(shown.values())))
        return "\n".join(f"{name}: {as_text(value)}" for name, value in shown.items())

    async def _call_tools(
        self,
        calls: Sequence[ToolCall],
        by_name: Mapping[str, Tool[..., object]],
        log: CallLog,
        emit: Callable[[str, Mapping[str, object]], None],
    ) -> list[ToolResult]:
        results: list[ToolResult] = [ToolResult(call.id, "") for call in calls]
        pending: list[ApprovalRequest | None] = [None] * len(calls)
        failures: list[PlaitError] = []  # raised after the task group, so never wrapped
        first = log.reserve(len(calls))  # journal indexes in call order, however they run
        # Reports go out in call order, not completion order, so traces stay byte-identical
        # however parallel tools interleave: every call first, then every result.
        for call in calls:
            emit("tool_call", {"id": call.id, "name": call.name, "arguments": dict(call.arguments)})

        async def call_one(index: int, call: ToolCall) -> None:
            found = by_name.get(call.name)
            if found is None:
                allowed = ", ".join(f"`{name}`" for name in by_name) or "none"
                results[index] = ToolResult(
                    call.id,
                    f"Unknown tool `{call.name}`: this agent may call {allowed}.",
                    is_error=True,
                    name=call.name,
                )
            elif self.needs_approval(found):
                try:
                    done = await gated_call(found, call, first + index, log, log.node or self.id)
                except PlaitError as error:  # nondeterminism: raised after the task group
                    failures.append(error)
                    return
                if isinstance(done, ApprovalRequest):
                    pending[index] = done
                else:
                    results[index] = done
            else:
                invoke = functools.partial(found.invoke, call)
                try:
                    results[index] = await log.tool(first + index, call, invoke)
                except PlaitError as error:  # an MCP server's failure, or nondeterminism
                    failures.append(error)

        if self.parallel_tool_calls and len(calls) > 1:
            async with anyio.create_task_group() as group:
                for index, call in enumerate(calls):
                    group.start_soon(call_one, index, call)
        else:
            for index, call in enumerate(calls):
                await call_one(index, call)
        if failures:
            raise failures[0]
        waiting = [item for item in pending if item is not None]
        if waiting:  # the finished calls are journaled: a resume replays them
            raise ApprovalPendingError(node=self.id, requests=waiting)
        for call, result in zip(calls, results, strict=True):
            emit(
                "tool_result",
                {
                    "id": call.id,
                    "name": call.name,
                    "is_error": result.is_error,
                    "content": result.content,
                },
            )
        return results


def _price(models: ModelCatalog, name: str, response: ModelResponse) -> float | None:
    return models.cost(response.model or name, response.usage)


def _wants_tokens(context: RunContext | None) -> bool:
    """Whether someone listening to the run wants streamed tokens."""
    return context is not None and context.report is not None and context.tokens


def _emitter(context: RunContext | None) -> Callable[[str, Mapping[str, object]], None]:
    if context is None:
        return lambda kind, data: None
    return context.emit


async def _ask(
    client: ModelClient,
    request: ModelRequest,
    emit: Callable[[str, Mapping[str, object]], None] | None,
) -> ModelResponse:
    if emit is None:
        return await client.complete(request)

    def on_delta(delta: Delta) -> None:
        if isinstance(delta, TextDelta) and delta.text:
            emit("token", {"text": delta.text})

    return await client.stream(request, on_delta)
