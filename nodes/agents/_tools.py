"""Typed tools: Python functions an agent's model may call, and registries of them.

The JSON Schema the model sees comes from the signature (types, defaults) and the
docstring (the summary, and each parameter's line under ``Args:``). Arguments from the
model are validated with pydantic before the function runs; a failure, or an exception in
the tool, goes back to the model as an error result rather than failing the run.
"""

from __future__ import annotations

import inspect
import json
import re
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, ParamSpec, Protocol, TypeVar, overload

import anyio.to_thread

from plait.nodes._context import RunContext
from plait.nodes._errors import DefinitionError, Problem
from plait.nodes._function import _is_async_callable
from plait.nodes._type_names import close_matches
from plait.nodes._values import REQUIRED, ArgumentField, Arguments, to_jsonable
from plait.nodes.llm._messages import ToolCall, ToolResult
from plait.nodes.llm._model import ToolSpec

__all__ = ["Tool", "ToolRegistry", "tool"]

P = ParamSpec("P")
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)

_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_ARGS_HEADER = re.compile(r"^\s*(Args|Arguments|Parameters):\s*$")
_ARG_LINE = re.compile(r"^\s+(\*{0,2}\w+)\s*(\([^)]*\))?\s*:\s*(.*)$")
_SECTION = re.compile(r"^\s*[A-Z][A-Za-z ]*:\s*$")


@dataclass(frozen=True, slots=True)
class Tool(Generic[P, R_co]):
    """A typed function a model may call; calling the tool calls the function."""

    name: str
    description: str
    fn: Callable[P, R_co] = field(repr=False)
    arguments: Arguments = field(repr=False, compare=False)
    is_async: bool = False
    context_parameter: str | None = None
    """The parameter that receives the agent's ``RunContext``, if any."""
    approval: bool = False
    """Whether a person approves each call before it runs (the run waits for them)."""

    @property
    def spec(self) -> ToolSpec:
        """The tool as the model sees it."""
        return ToolSpec(self.name, self.description, self.arguments.schema)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R_co:
        return self.fn(*args, **kwargs)

    async def invoke(self, call: ToolCall, context: RunContext | None = None) -> ToolResult:
        """Run the tool for a model's ``call``; every failure becomes an error result."""
        try:
            arguments = self.arguments.validate(dict(call.arguments))
        except ValueError as error:
            return ToolResult(
                call.id,
                f"Invalid arguments for tool `{self.name}`: {error}. "
                "Call it again with arguments that match its schema.",
                is_error=True,
                name=self.name,
            )
        if self.context_parameter is not None:
            arguments[self.context_parameter] = context
        try:
            function = typing.cast(Callable[..., Any], self.fn)
            if self.is_async:
                value: object = await function(**arguments)
            else:
                value = await anyio.to_thread.run_sync(lambda: function(**arguments))
        except Exception as error:  # the model hears about a tool's failure; the run goes on
            return ToolResult(
                call.id, f"Error: {type(error).__name__}: {error}", is_error=True, name=self.name
            )
        return ToolResult(call.id, _as_text(value), name=self.name)


def _as_text(value: object) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(to_jsonable(value), ensure_ascii=False)


def _docstring_parts(doc: str) -> tuple[str, dict[str, str]]:
    """The description (the text before the sections) and each ``Args:`` line."""
    described: list[str] = []
    arguments: dict[str, str] = {}
    in_args = False
    current: str | None = None
    in_sections = False
    for line in doc.splitlines():
        if _ARGS_HEADER.match(line):
            in_args = in_sections = True
            continue
        if _SECTION.match(line) and not line.startswith((" ", "\t")):
            in_args = False
            in_sections = True
            continue
        if in_args:
            found = _ARG_LINE.match(line)
            if found:
                current = found.group(1).lstrip("*")
                arguments[current] = found.group(3).strip()
            elif current is not None and line.strip():
                arguments[current] = f"{arguments[current]} {line.strip()}".strip()
            continue
        if not in_sections:
            described.append(line)
    return "\n".join(described).strip(), arguments


def _build(
    fn: Callable[P, R], name: str | None, description: str | None, approval: bool = False
) -> Tool[P, R]:
    tool_name = name or str(getattr(fn, "__name__", type(fn).__name__))
    where = f"tool `{tool_name}`"
    problems: list[Problem] = []
    if not _NAME.match(tool_name):
        problems.append(
            Problem(
                "invalid-tool-name",
                where,
                "tool names are 1-64 letters, digits, `_` or `-` (what providers accept)",
                "pass name=... with a valid name",
            )
        )
    summary, documented = _docstring_parts(inspect.getdoc(fn) or "")
    try:
        hints = typing.get_type_hints(fn, include_extras=True)
    except Exception as error:  # unresolvable annotations are the user's to fix
        raise DefinitionError(
            [Problem("unresolved-annotation", where, f"{type(error).__name__}: {error}")],
            subject=where,
        ) from None
    fields: list[ArgumentField] = []
    context_parameter: str | None = None
    for parameter in inspect.signature(fn).parameters.values():
        annotation = hints.get(parameter.name, REQUIRED)
        if annotation is RunContext:
            context_parameter = parameter.name
            continue
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            problems.append(
                Problem(
                    "variadic-parameter",
                    f"{where} argument `{parameter.name}`",
                    "a model passes named arguments only",
                    "declare each argument",
                )
            )
            continue
        if annotation is REQUIRED:
            problems.append(
                Problem(
                    "missing-annotation",
                    f"{where} argument `{parameter.name}`",
                    "the model needs its type",
                    "annotate it",
                )
            )
            continue
        fields.append(
            ArgumentField(
                parameter.name, annotation, parameter.default, documented.get(parameter.name, "")
            )
        )
    if problems:
        raise DefinitionError(problems, subject=where)
    text = description if description is not None else summary
    return Tool(
        name=tool_name,
        description=text,
        fn=fn,
        arguments=Arguments(f"{tool_name}_arguments", fields),
        is_async=_is_async_callable(fn),
        context_parameter=context_parameter,
        approval=approval,
    )


class _ToolDecorator(Protocol):
    def __call__(self, fn: Callable[P, R], /) -> Tool[P, R]: ...


@overload
def tool(fn: Callable[P, R], /) -> Tool[P, R]: ...
@overload
def tool(
    *, name: str | None = None, description: str | None = None, approval: bool = False
) -> _ToolDecorator: ...
def tool(
    fn: Callable[P, R] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    approval: bool = False,
) -> Tool[P, R] | _ToolDecorator:
    """Make a typed sync or async function a tool; usable bare (``@tool``) or with options.

    A parameter annotated ``RunContext`` receives the calling agent's run context and is
    not shown to the model. With ``approval=True`` every call waits for a person's
    decision (approve, deny or edit the arguments) before it runs.

    Raises:
        DefinitionError: at decoration time, for an invalid name or a parameter without a
            type, with every problem listed.
    """
    if fn is not None:
        return _build(fn, name, description)

    def decorate(function: Callable[P, R], /) -> Tool[P, R]:
        return _build(function, name, description, approval)

    return typing.cast(_ToolDecorator, decorate)


class ToolRegistry:
    """Tools by name: what a JSON spec may refer to. You create and fill it; plait keeps
    no global registry.
    """

    def __init__(self, tools: Iterable[Tool[..., object]] = ()) -> None:
        self._tools: dict[str, Tool[..., object]] = {}
        for item in tools:
            self.add(item)

    def add(self, item: Tool[P, R] | Callable[P, R]) -> Tool[P, R]:
        """Register a tool (a plain function is made one first) and return it.

        Raises:
            ValueError: when another tool already has its name.
        """
        built = item if isinstance(item, Tool) else tool(item)
        if built.name in self._tools and self._tools[built.name] is not built:
            raise ValueError(f"a tool named `{built.name}` is already registered")
        self._tools[built.name] = built
        return built

    def get(self, name: str) -> Tool[..., object]:
        """The tool called ``name``.

        Raises:
            KeyError: naming close matches among the registered tools.
        """
        found = self._tools.get(name)
        if found is None:
            raise KeyError(_unknown(name, self._tools))
        return found

    def select(self, names: Iterable[str]) -> tuple[Tool[..., object], ...]:
        """The tools called ``names`` (an agent's allowlist), in the order given.

        Raises:
            DefinitionError: listing every unknown name, each with close matches.
        """
        wanted = list(names)
        problems = [
            Problem("unknown-tool", f"tool `{name}`", _unknown(name, self._tools))
            for name in wanted
            if name not in self._tools
        ]
        if problems:
            raise DefinitionError(problems, subject="tool selection")
        return tuple(self._tools[name] for name in wanted)

    @property
    def names(self) -> tuple[str, ...]:
        """The registered names, sorted."""
        return tuple(sorted(self._tools))

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __iter__(self) -> Iterator[Tool[..., object]]:
        return iter(self._tools.values())

    def __len__(self) -> int:
        return len(self._tools)


def _unknown(name: str, known: Mapping[str, object]) -> str:
    near = close_matches(name, known)
    hint = f" (did you mean {', '.join(f'`{n}`' for n in near)}?)" if near else ""
    listed = ", ".join(sorted(known)) or "none"
    return f"no tool named `{name}`{hint}; registered: {listed}"
