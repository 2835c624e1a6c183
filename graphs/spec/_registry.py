"""The registry: the only names a JSON spec can use, each bound to a Python object by code.

A spec names functions, agents, loop conditions, types and exception classes; the loader
looks each name up here and nowhere else. Nothing is imported, evaluated or found by a dotted path:
``"os.system"`` in a spec is just a name that is not registered.
"""

from __future__ import annotations

import builtins
import contextlib
import re
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping
from types import MappingProxyType, NoneType
from typing import Generic, TypeVar, overload

from plait.graphs._kinds import BranchFailure, LoopResult
from plait.nodes import DefinitionError, FunctionNode, Node, NodeTimeoutError, Problem, to_node

__all__ = ["BUILTIN_ERRORS", "BUILTIN_TYPES", "Registry"]

ValueT = TypeVar("ValueT")
FunctionT = TypeVar("FunctionT", bound=FunctionNode[object] | Callable[..., object])
ConditionT = TypeVar("ConditionT", bound=Callable[..., object])
TypeT = TypeVar("TypeT")
ErrorT = TypeVar("ErrorT", bound=type[BaseException])
AgentT = TypeVar("AgentT", bound=Node[object])

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*\Z")
_RESERVED = frozenset({"Literal", "True", "False"})

BUILTIN_TYPES: Mapping[str, object] = MappingProxyType(
    {
        "str": str,
        "int": int,
        "float": float,
        "bool": bool,
        "bytes": bytes,
        "object": object,
        "Any": typing.Any,
        "None": NoneType,
        "list": list,
        "dict": dict,
        "set": set,
        "frozenset": frozenset,
        "tuple": tuple,
        "BranchFailure": BranchFailure,
        "LoopResult": LoopResult,
    }
)
"""Types every registry knows: builtins, the generic containers, and plait's own values."""


def _builtin_errors() -> dict[str, type[BaseException]]:
    found = {
        name: value
        for name, value in builtins.__dict__.items()
        if isinstance(value, type) and issubclass(value, Exception) and name == value.__name__
    }
    found["NodeTimeoutError"] = NodeTimeoutError
    return dict(sorted(found.items()))


BUILTIN_ERRORS: Mapping[str, type[BaseException]] = MappingProxyType(_builtin_errors())
"""Exception classes every registry knows (for ``retry_on``): Python's, and plait's
``NodeTimeoutError``."""


class _Table(Generic[ValueT]):
    """Names of one category, and the way back from an object to its (first) name."""

    __slots__ = ("_by_key", "_by_name", "noun")

    def __init__(self, noun: str) -> None:
        self.noun = noun
        self._by_name: dict[str, ValueT] = {}
        self._by_key: dict[object, str] = {}

    def add(self, name: str, value: ValueT, key: object) -> None:
        if not isinstance(name, str) or not _NAME.match(name) or name in _RESERVED:
            raise DefinitionError(
                [
                    Problem(
                        "invalid-name",
                        f"{self.noun} name {name!r}",
                        "registered names are identifiers, optionally dotted (`digest.plan`)",
                        "pass name=... with such a name",
                    )
                ],
                subject="registry",
            )
        present = self._by_name.get(name)
        if present is not None and _key(present) != key:
            raise DefinitionError(
                [
                    Problem(
                        "duplicate-name",
                        f"{self.noun} `{name}`",
                        "already registered for another object",
                        "register this one under another name=...",
                    )
                ],
                subject="registry",
            )
        self._by_name[name] = value
        with contextlib.suppress(TypeError):  # an unhashable annotation: see name_of
            self._by_key.setdefault(key, name)

    def get(self, name: str) -> ValueT | None:
        return self._by_name.get(name)

    def name_of(self, key: object) -> str | None:
        """The first name ``key`` was registered under, if any."""
        try:
            return self._by_key.get(key)
        except TypeError:
            for name, value in self._by_name.items():
                if _key(value) == key:
                    return name
            return None

    def names(self) -> list[str]:
        return list(self._by_name)

    def view(self) -> Mapping[str, ValueT]:
        return MappingProxyType(self._by_name)

    def items(self) -> Iterator[tuple[str, ValueT]]:
        return iter(list(self._by_name.items()))


def _key(value: object) -> object:
    """What identifies a registered object: a function node by its callable."""
    return value.fn if isinstance(value, FunctionNode) else value


def _entries(
    given: Iterable[ValueT] | Mapping[str, ValueT],
) -> list[tuple[str | None, ValueT]]:
    if isinstance(given, Mapping):
        return [(name, value) for name, value in given.items()]
    return [(None, value) for value in given]


class Registry:
    """The names a JSON spec may use: functions, agents, loop conditions, types, errors.

    Create one, register what your specs use, and hand it to ``load`` and ``dump``::

        registry = Registry(functions=[plan, search, write], agents=[triage], types=[Finding])

        @registry.function
        def rank(findings: list[Finding]) -> list[Finding]: ...

    A name is an identifier, optionally dotted (``digest.plan``); by default a function
    node's id, or a function's or class's ``__name__``. Builtin scalar and container types
    (``str``, ``list``, ...) and Python's exception classes are known to every registry.
    One object may have several names (the first is what ``dump`` writes); one name
    cannot mean two objects.
    """

    __slots__ = ("_agents", "_conditions", "_errors", "_functions", "_types")

    def __init__(
        self,
        *,
        functions: Iterable[FunctionNode[object] | Callable[..., object]]
        | Mapping[str, FunctionNode[object] | Callable[..., object]] = (),
        conditions: Iterable[Callable[..., object]] | Mapping[str, Callable[..., object]] = (),
        types: Iterable[object] | Mapping[str, object] = (),
        errors: Iterable[type[BaseException]] | Mapping[str, type[BaseException]] = (),
        agents: Iterable[Node[object]] | Mapping[str, Node[object]] = (),
    ) -> None:
        self._functions: _Table[FunctionNode[object]] = _Table("function")
        self._agents: _Table[Node[object]] = _Table("agent")
        self._conditions: _Table[Callable[..., object]] = _Table("condition")
        self._types: _Table[object] = _Table("type")
        self._errors: _Table[builtins.type[BaseException]] = _Table("error")
        for builtin, tp in BUILTIN_TYPES.items():
            self._types.add(builtin, tp, tp)
        for builtin, error in BUILTIN_ERRORS.items():
            self._errors.add(builtin, error, error)
        for label, fn in _entries(functions):
            self.function(fn, name=label)
        for label, condition in _entries(conditions):
            self.condition(condition, name=label)
        for label, annotation in _entries(types):
            self.type(annotation, name=label)
        for label, error_class in _entries(errors):
            self.error(error_class, name=label)
        for label, agent in _entries(agents):
            self.agent(agent, name=label)

    @overload
    def function(self, fn: FunctionT, /, *, name: str | None = None) -> FunctionT: ...
    @overload
    def function(
        self, fn: None = None, /, *, name: str | None = None
    ) -> Callable[[FunctionT], FunctionT]: ...
    def function(self, fn: object = None, /, *, name: str | None = None) -> object:
        """Register a node function (a ``@node`` or a plain typed function); a decorator.

        Raises:
            DefinitionError: when the name is taken or invalid, or the function cannot be a
                node (missing annotations, ``*args``, ...).
        """

        def register(given: object) -> object:
            if isinstance(given, FunctionNode):
                built: FunctionNode[object] = given
                label = given.id if name is None else name
            elif callable(given):
                label = str(getattr(given, "__name__", "")) if name is None else name
                built = to_node(given, id=label.replace(".", "_") or None)
            else:
                raise TypeError(f"registry.function takes a function or a node, got {given!r}")
            problems = [problem for problem in built.problems if problem.code != "missing-id"]
            if problems:
                raise DefinitionError(problems, subject=f"function `{label}`")
            self._functions.add(label, built, built.fn)
            return given

        return register if fn is None else register(fn)

    @overload
    def condition(self, fn: ConditionT, /, *, name: str | None = None) -> ConditionT: ...
    @overload
    def condition(
        self, fn: None = None, /, *, name: str | None = None
    ) -> Callable[[ConditionT], ConditionT]: ...
    def condition(self, fn: object = None, /, *, name: str | None = None) -> object:
        """Register a loop condition (``until``: output -> bool); usable as a decorator."""

        def register(given: object) -> object:
            if not callable(given):
                raise TypeError(f"registry.condition takes a function, got {given!r}")
            label = str(getattr(given, "__name__", "")) if name is None else name
            self._conditions.add(label, given, given)
            return given

        return register if fn is None else register(fn)

    @overload
    def type(self, tp: TypeT, /, *, name: str | None = None) -> TypeT: ...
    @overload
    def type(self, tp: None = None, /, *, name: str | None = None) -> Callable[[TypeT], TypeT]: ...
    def type(self, tp: object = None, /, *, name: str | None = None) -> object:
        """Register a type for graph inputs: a class, an Enum, a NewType, or any
        annotation under an explicit name (``Annotated[int, ...]``); a class decorator."""

        def register(given: object) -> object:
            label = str(getattr(given, "__name__", "")) if name is None else name
            self._types.add(label, given, given)
            return given

        return register if tp is None else register(tp)

    @overload
    def error(self, cls: ErrorT, /, *, name: str | None = None) -> ErrorT: ...
    @overload
    def error(
        self, cls: None = None, /, *, name: str | None = None
    ) -> Callable[[ErrorT], ErrorT]: ...
    def error(self, cls: object = None, /, *, name: str | None = None) -> object:
        """Register an exception class for ``retry_on``/``give_up_on``; a class decorator."""

        def register(given: object) -> object:
            if not (isinstance(given, builtins.type) and issubclass(given, BaseException)):
                raise TypeError(f"registry.error takes an exception class, got {given!r}")
            self._errors.add(given.__name__ if name is None else name, given, given)
            return given

        return register if cls is None else register(cls)

    @overload
    def agent(self, node: AgentT, /, *, name: str | None = None) -> AgentT: ...
    @overload
    def agent(
        self, node: None = None, /, *, name: str | None = None
    ) -> Callable[[AgentT], AgentT]: ...
    def agent(self, node: object = None, /, *, name: str | None = None) -> object:
        """Register an agent node (from ``plait.nodes.agent``) under its id or ``name``.

        A spec's ``agent`` node names it and may change its data (model string,
        instructions, prompt, limits, retry, timeout, pool); its tools, output type, memory
        and model catalog stay the registered agent's.
        """

        def register(given: object) -> object:
            if not isinstance(given, Node) or given.kind != "agent":
                raise TypeError(f"registry.agent takes an agent node, got {given!r}")
            self._agents.add(given.id if name is None else name, given, given)
            return given

        return register if node is None else register(node)

    def merge(self, *others: Registry) -> Registry:
        """A new registry with this one's names and the others'.

        Raises:
            DefinitionError: when two registries bind one name to different objects.
        """
        merged = Registry()
        for source in (self, *others):
            for name, fn in source._functions.items():
                merged._functions.add(name, fn, fn.fn)
            for name, condition in source._conditions.items():
                merged._conditions.add(name, condition, condition)
            for name, tp in source._types.items():
                merged._types.add(name, tp, tp)
            for name, error in source._errors.items():
                merged._errors.add(name, error, error)
            for name, agent in source._agents.items():
                merged._agents.add(name, agent, agent)
        return merged

    @property
    def functions(self) -> Mapping[str, FunctionNode[object]]:
        """Registered functions by name, each as the node it becomes."""
        return self._functions.view()

    @property
    def agents(self) -> Mapping[str, Node[object]]:
        """Registered agent nodes by name."""
        return self._agents.view()

    @property
    def conditions(self) -> Mapping[str, Callable[..., object]]:
        """Registered loop conditions by name."""
        return self._conditions.view()

    @property
    def types(self) -> Mapping[str, object]:
        """Registered types by name, builtins included."""
        return self._types.view()

    @property
    def errors(self) -> Mapping[str, builtins.type[BaseException]]:
        """Registered exception classes by name, builtins included."""
        return self._errors.view()

    def __repr__(self) -> str:
        extra_types = len(self._types.names()) - len(BUILTIN_TYPES)
        extra_errors = len(self._errors.names()) - len(BUILTIN_ERRORS)
        return (
            f"<Registry functions={len(self._functions.names())} "
            f"agents={len(self._agents.names())} "
            f"conditions={len(self._conditions.names())} types=+{extra_types} "
            f"errors=+{extra_errors}>"
        )
