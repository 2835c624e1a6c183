"""Function nodes: a typed sync or async callable as a unit of work."""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Generic, Literal, Protocol, TypeVar, overload

from plait.nodes._cache import CachePolicy
from plait.nodes._cancel import CancelToken
from plait.nodes._context import RunContext
from plait.nodes._errors import DefinitionError, Problem
from plait.nodes._importable import process_problems
from plait.nodes._policy import RetryPolicy

__all__ = ["FunctionNode", "Input", "Isolation", "Node", "node", "to_node"]

OutputT = TypeVar("OutputT")
OutputT_co = TypeVar("OutputT_co", covariant=True)

_EMPTY = inspect.Parameter.empty

Isolation = Literal["thread", "process"]
"""Where a sync function node runs: a worker thread, or a subprocess that can be killed."""


@dataclass(frozen=True, slots=True)
class Input:
    """One named, typed input of a node."""

    name: str
    annotation: object
    required: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Node(Generic[OutputT_co]):
    """A unit of work with typed inputs and one typed output. Immutable."""

    id: str
    inputs: tuple[Input, ...]
    output: object
    """The output's type annotation."""
    retry: RetryPolicy | None = None
    """``None`` means: use the graph's default policy."""
    timeout: float | None = None
    """Seconds one attempt may take; ``None`` means: use the graph's default."""
    pool: str | None = None
    """The graph-level concurrency pool this node draws a slot from."""
    executor: str | None = None
    """The run's executor its attempts run on (``"dask"``); ``None``: the run's default.
    Where a node runs does not change what it computes: it is not in the content hash."""
    cache: CachePolicy | None = None
    """Reuse the output across runs (``CachePolicy``); ``None``: always run."""
    description: str = ""
    problems: tuple[Problem, ...] = field(default=(), compare=False, repr=False)
    """Definition problems found while building the node, reported at compile time."""

    @property
    def kind(self) -> str:
        """The node kind's name, as diagrams and specs spell it."""
        return "node"

    def facts(self) -> Mapping[str, object]:
        """What defines this node beyond its inputs and output, as JSON-ready data.

        It goes into the graph's canonical description and content hash, so changing an
        agent's model or instructions changes the hash. Kinds override it.
        """
        return {}

    async def execute(self, inputs: Mapping[str, object], context: RunContext) -> object:
        """Do the node's work on its ``inputs``; node kinds beyond functions override this.

        Raises:
            TypeError: for a kind the engine does not know how to run.
        """
        raise TypeError(f"node `{self.id}` of kind {self.kind!r} has no execute()")

    def input(self, name: str) -> Input | None:
        """The input called ``name``, if the node has one."""
        for item in self.inputs:
            if item.name == name:
                return item
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class FunctionNode(Node[OutputT_co]):
    """A node that calls a Python function, sync or async."""

    fn: Callable[..., object]
    is_async: bool
    blocking: bool = True
    """Sync functions run in a worker thread unless marked ``blocking=False``."""
    context_parameter: str | None = None
    """The parameter that receives the ``RunContext``, if any."""
    cancel_parameter: str | None = None
    """The parameter that receives the attempt's ``CancelToken``, if any."""
    isolation: Isolation = "thread"
    """``"process"``: run in a subprocess, imported by name, killed on timeout or cancel."""
    grace: float = 2.0
    """Seconds a timed-out sync attempt's thread is awaited before the node fails for good."""

    @property
    def kind(self) -> str:
        """Always ``"function"``."""
        return "function"

    def with_options(
        self,
        *,
        id: str | None = None,
        retry: RetryPolicy | None = None,
        timeout: float | None = None,
        pool: str | None = None,
        cache: CachePolicy | None = None,
    ) -> FunctionNode[OutputT_co]:
        """A copy with the given options replaced (``None`` keeps the current value)."""
        return replace(
            self,
            id=self.id if id is None else id,
            retry=self.retry if retry is None else retry,
            timeout=self.timeout if timeout is None else timeout,
            pool=self.pool if pool is None else pool,
            cache=self.cache if cache is None else cache,
        )


def _is_async_callable(fn: Callable[..., object]) -> bool:
    if inspect.iscoroutinefunction(fn):
        return True
    call = getattr(type(fn), "__call__", None)  # noqa: B004 - an instance with async __call__
    return call is not None and inspect.iscoroutinefunction(call)


def _annotated(fn: Callable[..., object]) -> object:
    """The object whose annotations describe ``fn``'s parameters."""
    while isinstance(fn, functools.partial):
        fn = fn.func
    if inspect.isroutine(fn) or isinstance(fn, type):
        return fn
    call = getattr(type(fn), "__call__", None)  # noqa: B004 - a callable instance
    return call if call is not None else fn


def _default_id(fn: Callable[..., object]) -> str:
    return str(getattr(fn, "__name__", type(fn).__name__))


def to_node(
    fn: Callable[..., object],
    *,
    id: str | None = None,
    retry: RetryPolicy | None = None,
    timeout: float | None = None,
    pool: str | None = None,
    blocking: bool = True,
    description: str | None = None,
    executor: str | None = None,
    isolation: Isolation = "thread",
    grace: float = 2.0,
    cache: CachePolicy | None = None,
) -> FunctionNode[object]:
    """Build a function node from ``fn``'s signature; problems are kept, not raised."""
    node_id = id if id is not None else _default_id(fn)
    problems: list[Problem] = []
    where = f"node `{node_id}`"
    if id is None and node_id == "<lambda>":
        problems.append(
            Problem("missing-id", where, "a lambda has no usable name", "pass id=... for it")
        )
    signature, hints, unresolved = _read_signature(fn, where, problems)
    inputs, context_parameter, cancel_parameter = _read_inputs(
        signature, hints, unresolved, where, problems
    )
    output = _read_output(hints, unresolved, where, problems)
    if description is None:
        description = inspect.getdoc(fn) or ""
        description = description.split("\n\n", 1)[0].strip()
    is_async = _is_async_callable(fn)
    if isolation == "process":
        problems.extend(process_problems(fn, where, is_async, blocking, context_parameter))
    return FunctionNode(
        id=node_id,
        inputs=tuple(inputs),
        output=output,
        retry=retry,
        timeout=timeout,
        pool=pool,
        executor=executor,
        cache=cache,
        description=description,
        problems=tuple(problems),
        fn=fn,
        is_async=is_async,
        blocking=blocking,
        context_parameter=context_parameter,
        cancel_parameter=cancel_parameter,
        isolation=isolation,
        grace=grace,
    )


def _read_signature(
    fn: Callable[..., object], where: str, problems: list[Problem]
) -> tuple[inspect.Signature, dict[str, object], bool]:
    """``fn``'s signature, its resolved annotations, and whether resolving them failed."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError) as error:
        problems.append(Problem("bad-signature", where, f"cannot read its signature: {error}"))
        signature = inspect.Signature()
    unresolved = False
    try:
        hints = typing.get_type_hints(_annotated(fn), include_extras=True)
    except Exception as error:  # any failure to resolve annotations is the user's to fix
        hints = {}
        unresolved = True
        problems.append(
            Problem(
                "unresolved-annotation",
                where,
                f"its annotations cannot be resolved: {type(error).__name__}: {error}",
                "import every name used in the annotations at module level",
            )
        )
    return signature, hints, unresolved


def _read_inputs(
    signature: inspect.Signature,
    hints: dict[str, object],
    unresolved: bool,
    where: str,
    problems: list[Problem],
) -> tuple[list[Input], str | None, str | None]:
    """The node's inputs, and the parameters that take the run context and cancel token."""
    inputs: list[Input] = []
    context_parameter: str | None = None
    cancel_parameter: str | None = None
    for parameter in signature.parameters.values():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            problems.append(
                Problem(
                    "variadic-parameter",
                    f"{where} input `{parameter.name}`",
                    "*args and **kwargs cannot be wired to edges",
                    "declare each input as a named parameter",
                )
            )
            continue
        if parameter.kind is parameter.POSITIONAL_ONLY:
            problems.append(
                Problem(
                    "positional-only-parameter",
                    f"{where} input `{parameter.name}`",
                    "inputs are passed by name",
                    "remove the `/` from the signature",
                )
            )
            continue
        annotation = hints.get(parameter.name, _EMPTY)
        if annotation is RunContext:
            context_parameter = parameter.name
            continue
        if annotation is CancelToken:
            cancel_parameter = parameter.name
            continue
        if annotation is _EMPTY:
            if not unresolved:
                problems.append(
                    Problem(
                        "missing-annotation",
                        f"{where} input `{parameter.name}`",
                        "the parameter has no type annotation",
                        "annotate it (use `object` to accept anything)",
                    )
                )
            annotation = object
        inputs.append(Input(parameter.name, annotation, parameter.default is _EMPTY))
    return inputs, context_parameter, cancel_parameter


def _read_output(
    hints: dict[str, object], unresolved: bool, where: str, problems: list[Problem]
) -> object:
    """The node's output type (``None`` means ``NoneType``)."""
    output: object = hints.get("return", _EMPTY)
    if output is _EMPTY:
        if not unresolved:
            problems.append(
                Problem(
                    "missing-annotation",
                    f"{where} output",
                    "the function has no return annotation",
                    "annotate the return type (`-> None` for a side-effect-only node)",
                )
            )
        output = object
    if output is None:
        output = type(None)
    return output


class _NodeDecorator(Protocol):
    @overload
    def __call__(
        self, fn: Callable[..., Coroutine[Any, Any, OutputT]], /
    ) -> FunctionNode[OutputT]: ...
    @overload
    def __call__(self, fn: Callable[..., Awaitable[OutputT]], /) -> FunctionNode[OutputT]: ...
    @overload
    def __call__(self, fn: Callable[..., OutputT], /) -> FunctionNode[OutputT]: ...


@overload
def node(fn: Callable[..., Coroutine[Any, Any, OutputT]], /) -> FunctionNode[OutputT]: ...
@overload
def node(fn: Callable[..., Awaitable[OutputT]], /) -> FunctionNode[OutputT]: ...
@overload
def node(fn: Callable[..., OutputT], /) -> FunctionNode[OutputT]: ...
@overload
def node(
    *,
    id: str | None = None,
    retry: RetryPolicy | None = None,
    timeout: float | None = None,
    pool: str | None = None,
    blocking: bool = True,
    description: str | None = None,
    executor: str | None = None,
    isolation: Isolation = "thread",
    grace: float = 2.0,
    cache: CachePolicy | None = None,
) -> _NodeDecorator: ...
def node(
    fn: Callable[..., object] | None = None,
    /,
    *,
    id: str | None = None,
    retry: RetryPolicy | None = None,
    timeout: float | None = None,
    pool: str | None = None,
    blocking: bool = True,
    description: str | None = None,
    executor: str | None = None,
    isolation: Isolation = "thread",
    grace: float = 2.0,
    cache: CachePolicy | None = None,
) -> FunctionNode[Any] | _NodeDecorator:
    """Turn a typed function into a node; usable bare (``@node``) or with options.

    Its parameters are the node's inputs and its return annotation the output type. A
    parameter annotated ``RunContext`` receives the run context instead of an input, one
    annotated ``CancelToken`` the attempt's cancel token. A timed-out sync attempt is
    awaited ``grace`` seconds more and never overlaps a retry; ``isolation="process"``
    runs a sync function in a subprocess (imported by name) that is killed on timeout.
    ``executor="dask"`` runs its attempts on the run's executor of that name.

    Raises:
        DefinitionError: at decoration time, when the signature cannot be used (missing
            annotations, ``*args``, unresolved names), with every problem listed.
    """

    def decorate(function: Callable[..., object]) -> FunctionNode[Any]:
        built = to_node(
            function,
            id=id,
            retry=retry,
            timeout=timeout,
            pool=pool,
            blocking=blocking,
            description=description,
            executor=executor,
            isolation=isolation,
            grace=grace,
            cache=cache,
        )
        if built.problems:
            raise DefinitionError(built.problems, subject=f"node `{built.id}`")
        return built

    if fn is not None:
        return decorate(fn)
    return typing.cast(_NodeDecorator, decorate)
