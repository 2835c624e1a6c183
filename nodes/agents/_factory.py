"""Defining agents: the ``agent()`` factory and the checks of an agent's definition."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal, TypeVar, overload

from plait.nodes._cache import CachePolicy
from plait.nodes._errors import ConfigError, DefinitionError, Problem
from plait.nodes._function import Input
from plait.nodes._policy import RetryPolicy
from plait.nodes.agents._node import AGENT_RETRY, AgentNode
from plait.nodes.agents._output import template_fields
from plait.nodes.agents._tools import Tool
from plait.nodes.llm._catalog import ModelCatalog
from plait.nodes.llm._messages import Message
from plait.nodes.llm._model import ModelClient
from plait.nodes.mcp._refs import MCPPrompt, MCPReference, MCPResource, MCPTools, namespaced
from plait.nodes.memory._protocol import Memory

__all__ = ["agent", "agent_problems"]

OutputT = TypeVar("OutputT")


@overload
def agent(
    id: str,
    *,
    model: str | ModelClient,
    output: type[OutputT],
    instructions: str | MCPPrompt = "",
    prompt: str | None = None,
    inputs: Mapping[str, object] | None = None,
    tools: Sequence[Tool[..., object] | MCPTools] = (),
    approve: Sequence[str] | Literal["all"] = (),
    resources: Sequence[MCPResource] = (),
    max_iterations: int = 10,
    parallel_tool_calls: bool = True,
    memory: Memory | None = None,
    thread_input: str | None = None,
    prompt_messages: Sequence[Message] = (),
    models: ModelCatalog | None = None,
    retry: RetryPolicy | None = AGENT_RETRY,
    timeout: float | None = None,
    pool: str | None = None,
    cache: CachePolicy | None = None,
    max_tokens: int | None = None,
    reasoning: str | None = None,
    description: str = "",
) -> AgentNode[OutputT]: ...
@overload
def agent(
    id: str,
    *,
    model: str | ModelClient,
    output: None = None,
    instructions: str | MCPPrompt = "",
    prompt: str | None = None,
    inputs: Mapping[str, object] | None = None,
    tools: Sequence[Tool[..., object] | MCPTools] = (),
    approve: Sequence[str] | Literal["all"] = (),
    resources: Sequence[MCPResource] = (),
    max_iterations: int = 10,
    parallel_tool_calls: bool = True,
    memory: Memory | None = None,
    thread_input: str | None = None,
    prompt_messages: Sequence[Message] = (),
    models: ModelCatalog | None = None,
    retry: RetryPolicy | None = AGENT_RETRY,
    timeout: float | None = None,
    pool: str | None = None,
    cache: CachePolicy | None = None,
    max_tokens: int | None = None,
    reasoning: str | None = None,
    description: str = "",
) -> AgentNode[str]: ...
@overload
def agent(
    id: str,
    *,
    model: str | ModelClient,
    output: object,
    instructions: str | MCPPrompt = "",
    prompt: str | None = None,
    inputs: Mapping[str, object] | None = None,
    tools: Sequence[Tool[..., object] | MCPTools] = (),
    approve: Sequence[str] | Literal["all"] = (),
    resources: Sequence[MCPResource] = (),
    max_iterations: int = 10,
    parallel_tool_calls: bool = True,
    memory: Memory | None = None,
    thread_input: str | None = None,
    prompt_messages: Sequence[Message] = (),
    models: ModelCatalog | None = None,
    retry: RetryPolicy | None = AGENT_RETRY,
    timeout: float | None = None,
    pool: str | None = None,
    cache: CachePolicy | None = None,
    max_tokens: int | None = None,
    reasoning: str | None = None,
    description: str = "",
) -> AgentNode[object]: ...
def agent(
    id: str,
    *,
    model: str | ModelClient,
    output: object = None,
    instructions: str | MCPPrompt = "",
    prompt: str | None = None,
    inputs: Mapping[str, object] | None = None,
    tools: Sequence[Tool[..., object] | MCPTools] = (),
    approve: Sequence[str] | Literal["all"] = (),
    resources: Sequence[MCPResource] = (),
    max_iterations: int = 10,
    parallel_tool_calls: bool = True,
    memory: Memory | None = None,
    thread_input: str | None = None,
    prompt_messages: Sequence[Message] = (),
    models: ModelCatalog | None = None,
    retry: RetryPolicy | None = AGENT_RETRY,
    timeout: float | None = None,
    pool: str | None = None,
    cache: CachePolicy | None = None,
    max_tokens: int | None = None,
    reasoning: str | None = None,
    description: str = "",
) -> AgentNode[object]:
    """Define an agent node.

    ``inputs`` maps input names to types (default: one ``message: str``); ``instructions``
    and ``prompt`` may refer to them as ``{name}``. ``output`` is ``str`` (the default),
    a pydantic model or any other type (asked for as structured output), or a
    ``Literal``/``Enum`` of labels, which makes the agent a router. Each call of a tool
    named in ``approve`` (of every tool, with ``"all"``), or made with
    ``@tool(approval=True)``, waits for a person's decision before it runs. An agent's
    output is reused across runs only when asked: ``cache=CachePolicy(...)``.

    Raises:
        DefinitionError: listing every problem: a template naming an unknown input, a
            malformed template, tools with the same name, ``approve`` naming a tool the
            agent does not have, an unknown ``thread_input``,
            an invalid model string, a negative ``max_iterations``.
    """
    declared = dict(inputs) if inputs is not None else {"message": str}
    references: list[MCPReference] = [item for item in tools if isinstance(item, MCPTools)]
    references.extend(resources)
    if isinstance(instructions, MCPPrompt):
        references.append(instructions)
        instructions = ""
    node: AgentNode[object] = AgentNode(
        id=id,
        inputs=tuple(Input(name, annotation) for name, annotation in declared.items()),
        output=str if output is None else output,
        retry=retry,
        timeout=timeout,
        pool=pool,
        cache=cache,
        description=description,
        model=model,
        instructions=instructions,
        prompt=prompt,
        tools=tuple(item for item in tools if isinstance(item, Tool)),
        approve="all" if approve == "all" else tuple(approve),
        max_iterations=max_iterations,
        parallel_tool_calls=parallel_tool_calls,
        memory=memory,
        thread_input=thread_input,
        prompt_messages=tuple(prompt_messages),
        models=models,
        max_tokens=max_tokens,
        reasoning=reasoning,
        mcp=tuple(dict.fromkeys(references)),
    )
    problems = agent_problems(node)
    if problems:
        raise DefinitionError(problems, subject=f"agent `{id}`")
    return node


def agent_problems(node: AgentNode[object]) -> list[Problem]:
    """Everything wrong with an agent's definition."""
    where = f"agent `{node.id}`"
    names = [item.name for item in node.inputs]
    problems: list[Problem] = []
    for label, template in (("instructions", node.instructions), ("prompt", node.prompt)):
        if template is None:
            continue
        try:
            fields = template_fields(template)
        except ValueError as error:
            problems.append(
                Problem("bad-template", f"{where} {label}", str(error), "write `{{` for `{`")
            )
            continue
        for name in fields:
            if name not in names:
                problems.append(
                    Problem(
                        "unknown-template-input",
                        f"{where} {label}",
                        f"`{{{name}}}` is not an input (inputs: {', '.join(names) or 'none'})",
                        "declare it in inputs=..., or write `{{` for a literal brace",
                    )
                )
    seen: set[str] = set()
    named = [
        namespaced(ref.server, ref.tool)
        for ref in node.mcp
        if isinstance(ref, MCPTools) and ref.tool is not None
    ]
    for name in (*(item.name for item in node.tools), *named):
        if name in seen:
            problems.append(Problem("duplicate-tool", f"{where} tool `{name}`", "listed twice", ""))
        seen.add(name)
    if node.approve != "all":
        for name in node.approve:
            if name not in seen:
                problems.append(
                    Problem(
                        "unknown-approval-tool",
                        f"{where} approve",
                        f"`{name}` is not one of its tools ({', '.join(sorted(seen)) or 'none'})",
                        "list it in tools=..., or remove it from approve=...",
                    )
                )
    if node.thread_input is not None and node.thread_input not in names:
        problems.append(
            Problem("unknown-thread-input", where, f"`{node.thread_input}` is not an input", "")
        )
    if node.max_iterations < 0:
        problems.append(Problem("bad-max-iterations", where, "max_iterations must be >= 0", ""))
    if isinstance(node.model, str):
        catalog = node.models or ModelCatalog()
        bare = not any(mark in node.model.split("?")[0] for mark in ".:/")
        try:
            catalog.parse(node.model)
        except ConfigError as error:
            # Without a catalog a bare name may be an alias the run's configuration adds.
            maybe_alias = node.models is None and bare and str(error).startswith("unknown model")
            if not maybe_alias:
                problems.append(Problem("unknown-model", f"{where} model", str(error)))
    return problems
