"""Function nodes: inputs from typed parameters, output from the return annotation."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Literal, assert_type

import pytest
from pydantic import BaseModel

from plait import DefinitionError, FunctionNode, RetryPolicy, RunContext, node
from plait.nodes import Input, to_node

from .future_annotations_module import Reply, answer


class Mood(enum.Enum):
    HAPPY = "happy"
    SAD = "sad"


class Doc(BaseModel):
    title: str


@dataclass
class Point:
    x: int


def test_bare_decorator_reads_the_signature() -> None:
    @node
    async def fetch(url: str, limit: int = 10) -> list[Doc]:
        return []

    assert_type(fetch, FunctionNode[list[Doc]])
    assert fetch.id == "fetch"
    assert fetch.kind == "function"
    assert fetch.is_async
    assert fetch.inputs == (Input("url", str, True), Input("limit", int, False))
    assert fetch.output == list[Doc]
    assert fetch.retry is None
    assert fetch.timeout is None


def test_decorator_with_options_and_sync_functions() -> None:
    policy = RetryPolicy(max_attempts=4)

    @node(id="classify", retry=policy, timeout=2.5, pool="llm", blocking=False)
    def mood_of(text: str) -> Mood:
        return Mood.HAPPY

    assert_type(mood_of, FunctionNode[Mood])
    assert (mood_of.id, mood_of.retry, mood_of.timeout, mood_of.pool) == (
        "classify",
        policy,
        2.5,
        "llm",
    )
    assert not mood_of.is_async
    assert not mood_of.blocking
    assert mood_of.output is Mood


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        (Literal["a", "b"], Literal["a", "b"]),
        (dict[str, list[Point]], dict[str, list[Point]]),
        (None, type(None)),
    ],
)
def test_outputs_of_every_supported_kind(annotation: object, expected: object) -> None:
    def fn() -> None: ...

    fn.__annotations__["return"] = annotation
    assert to_node(fn).output == expected


def test_context_parameter_is_not_an_input() -> None:
    @node
    async def traced(x: int, ctx: RunContext) -> int:
        return x

    assert [item.name for item in traced.inputs] == ["x"]
    assert traced.context_parameter == "ctx"


def test_future_annotations_resolve() -> None:
    assert answer.inputs == (Input("question", str, True), Input("retries", int, False))
    assert answer.output is Reply
    assert answer.description == "Answer a question."


def test_async_callable_objects_are_async() -> None:
    class Caller:
        async def __call__(self, x: int) -> int:
            return x

    built = to_node(Caller(), id="caller")
    assert built.is_async
    assert built.inputs == (Input("x", int, True),)


def test_decorator_raises_every_problem_at_once() -> None:
    with pytest.raises(DefinitionError) as raised:

        @node
        def bad(a, *rest, b: int, **extra):  # type: ignore[no-untyped-def]
            return a

    codes = raised.value.codes
    assert codes == [
        "missing-annotation",
        "variadic-parameter",
        "variadic-parameter",
        "missing-annotation",
    ]
    assert str(raised.value).startswith("node `bad` has 4 problems:\n")


def test_unresolvable_annotation_is_one_clear_problem() -> None:
    def uses_unknown(x: NotDefinedAnywhere) -> int:  # type: ignore[name-defined]  # noqa: F821
        return 1

    with pytest.raises(DefinitionError) as raised:
        node(uses_unknown)
    (problem,) = raised.value.problems
    assert problem.code == "unresolved-annotation"
    assert "NotDefinedAnywhere" in problem.message
    assert problem.hint == "import every name used in the annotations at module level"


def test_positional_only_parameters_are_refused() -> None:
    def positional(x: int, /) -> int:
        return x

    (problem,) = to_node(positional).problems
    assert problem.code == "positional-only-parameter"
    assert problem.hint == "remove the `/` from the signature"


def test_with_options_returns_a_changed_copy() -> None:
    @node
    async def base(x: int) -> int:
        return x

    changed = base.with_options(id="other", timeout=1.0)
    assert (changed.id, changed.timeout) == ("other", 1.0)
    assert (base.id, base.timeout) == ("base", None)
    with pytest.raises(AttributeError):
        base.id = "mutated"  # type: ignore[misc]
