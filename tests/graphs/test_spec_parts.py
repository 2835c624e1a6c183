"""The parts the spec tests share (registered functions, types, a registry), and the tests
of the registry and of type expressions themselves."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Annotated, Any, Literal, NewType

import pytest

from plait import DefinitionError, GraphBuilder, Registry, RetryPolicy, node
from plait.graphs import BranchFailure, Graph, LoopResult
from plait.graphs.spec._text import TypeTextError, label_key, parse_type, write_type

CALLS: list[str] = []
"""Every registered function and condition records its calls here: loading and dumping
must never add to it."""


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


@dataclass(frozen=True)
class Page:
    title: str
    body: str


class Flaky(Exception):
    """A registered error class for retry policies."""


UserId = NewType("UserId", int)
Positive = Annotated[int, "positive"]


@node
async def inc(x: int) -> int:
    CALLS.append("inc")
    return x + 1


@node
def double(x: int) -> int:
    CALLS.append("double")
    return x * 2


@node
async def add(x: int, y: int) -> int:
    CALLS.append("add")
    return x + y


@node(retry=RetryPolicy(max_attempts=2, initial_delay=0), timeout=5)
async def careful(x: int) -> int:
    """A node registered with options of its own."""
    CALLS.append("careful")
    return x


@node
def pick(x: int) -> Literal["small", "big"]:
    CALLS.append("pick")
    return "small" if x < 10 else "big"


@node
def paint(x: int) -> Color:
    CALLS.append("paint")
    return Color.RED if x % 2 else Color.BLUE


@node
def is_even(x: int) -> bool:
    CALLS.append("is_even")
    return x % 2 == 0


@node
def spread(x: int) -> list[int]:
    CALLS.append("spread")
    return list(range(x))


@node
def total(xs: list[int]) -> int:
    CALLS.append("total")
    return sum(xs)


@node
def fetch(x: int) -> Page:
    CALLS.append("fetch")
    return Page(title=f"page {x}", body="b" * x)


@node
def size(text: str) -> int:
    CALLS.append("size")
    return len(text)


@node
def shout(text: str) -> str:
    CALLS.append("shout")
    return text.upper()


def big_enough(value: int) -> bool:
    """A loop condition."""
    CALLS.append("big_enough")
    return value > 20


FUNCTIONS = [inc, double, add, careful, pick, paint, is_even, spread, total, fetch, size, shout]
REGISTRY = Registry(
    functions=FUNCTIONS,
    conditions=[big_enough],
    types={"Color": Color, "Page": Page, "UserId": UserId, "Positive": Positive},
    errors=[Flaky],
)


def chain(name: str = "body", length: int = 2) -> Graph[int]:
    """An int -> int chain of ``length`` nodes."""
    builder = GraphBuilder(name, inputs={"x": int})
    last = builder.add(inc, id="first", inputs={"x": "inputs.x"})
    for index in range(1, length):
        last = builder.add(double, id=f"step{index}", inputs={"x": last})
    return builder.build(last)


# -- the registry ----------------------------------------------------------------------


def test_names_default_to_the_node_id_or_the_function_name() -> None:
    registry = Registry()

    @registry.function
    def plain(x: int) -> int:
        return x

    registry.function(inc, name="digest.inc")
    registry.function(name="renamed")(double)

    assert set(registry.functions) == {"plain", "digest.inc", "renamed"}
    assert registry.functions["plain"].fn is plain
    assert registry.functions["digest.inc"] is inc


def test_a_name_cannot_mean_two_objects_but_an_object_may_have_two_names() -> None:
    registry = Registry(functions={"one": inc})
    registry.function(inc, name="alias")
    with pytest.raises(DefinitionError) as raised:
        registry.function(double, name="one")
    assert raised.value.codes == ["duplicate-name"]
    assert "function `one`" in str(raised.value)


@pytest.mark.parametrize("name", ["os:system", "a b", "1up", "", "Literal", "x..y"])
def test_names_are_dotted_identifiers(name: str) -> None:
    with pytest.raises(DefinitionError) as raised:
        Registry(functions={name: inc})
    assert raised.value.codes == ["invalid-name"]


def test_a_function_that_cannot_be_a_node_is_refused_at_registration() -> None:
    def untyped(x):  # type: ignore[no-untyped-def]
        return x

    with pytest.raises(DefinitionError) as raised:
        Registry(functions=[untyped])
    assert "missing-annotation" in raised.value.codes


def test_registering_the_wrong_thing_is_a_type_error() -> None:
    registry = Registry()
    with pytest.raises(TypeError):
        registry.error(int)  # type: ignore[type-var]
    with pytest.raises(TypeError):
        registry.condition(3)  # type: ignore[call-overload]


def test_builtin_types_and_errors_are_always_known() -> None:
    registry = Registry()
    assert registry.types["str"] is str
    assert registry.types["LoopResult"] is LoopResult
    assert registry.types["BranchFailure"] is BranchFailure
    assert registry.errors["TimeoutError"] is TimeoutError
    assert "KeyboardInterrupt" not in registry.errors  # not an Exception: never retried


def test_merge_combines_and_refuses_conflicts() -> None:
    first = Registry(functions=[inc])
    second = Registry(functions=[double], conditions=[big_enough])
    merged = first.merge(second)
    assert set(merged.functions) == {"inc", "double"}
    assert set(merged.conditions) == {"big_enough"}
    with pytest.raises(DefinitionError):
        first.merge(Registry(functions={"inc": double}))


# -- type expressions ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "annotation"),
    [
        ("str", str),
        ("list[Page]", list[Page]),
        ("dict[str, list[int]]", dict[str, list[int]]),
        ("str | None", str | None),
        ("tuple[int, ...]", tuple[int, ...]),
        ("Literal['a', 1, True, None]", Literal["a", 1, True, None]),
        ("Literal[Color.RED]", Literal[Color.RED]),
        ("Literal['it\\'s', 'tab\\t']", Literal["it's", "tab\t"]),
        ("LoopResult[int]", LoopResult[int]),
        ("UserId", UserId),
        ("Positive", Positive),
        ("Any", Any),
    ],
)
def test_type_expressions_read_and_write_back(text: str, annotation: object) -> None:
    assert parse_type(text, REGISTRY) == annotation
    assert parse_type(write_type(annotation, REGISTRY), REGISTRY) == annotation


@pytest.mark.parametrize(
    ("text", "unknown"),
    [
        ("os.system", "os.system"),
        ("__import__", "__import__"),
        ("list[subprocess.Popen]", "subprocess.Popen"),
        ("list[int", None),
        ("list[int int]", None),
        ("str[int]", None),
        ("Literal[exec]", "exec"),
        ("int; import os", None),
        ("list" + "[list" * 100 + "]" * 101, None),
    ],
)
def test_bad_type_expressions_are_errors_that_import_nothing(
    text: str, unknown: str | None
) -> None:
    with pytest.raises(TypeTextError) as raised:
        parse_type(text, REGISTRY)
    assert raised.value.unknown == unknown


def test_an_unregistered_type_cannot_be_written() -> None:
    with pytest.raises(TypeTextError) as raised:
        write_type(list[Flaky], REGISTRY)
    assert raised.value.unknown == "tests.graphs.test_spec_parts.Flaky"
    with pytest.raises(TypeTextError, match="Annotated"):
        write_type(Annotated[str, "x"], REGISTRY)


def test_route_labels_have_one_text_form() -> None:
    assert [label_key(label) for label in ("a", Color.RED, True, False, None, 3)] == [
        "a",
        "RED",
        "true",
        "false",
        "null",
        "3",
    ]
