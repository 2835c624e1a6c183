"""Every declared output type either reads back from a checkpoint or is refused before a run."""

from __future__ import annotations

import dataclasses
import datetime
import typing
from pathlib import Path
from typing import Any, TypedDict, TypeVar

import msgspec
import pytest
from pydantic import BaseModel

from plait import Graph, GraphBuilder, RunOptions, RunStatus, node
from plait.engine._resume import resume
from plait.engine.stores._sqlite import SQLiteStore
from plait.nodes import DefinitionError, InputError, NodeOutputError

pytestmark = pytest.mark.anyio


T = TypeVar("T")


class Loose(TypedDict):
    name: str
    extra: object


@dataclasses.dataclass(frozen=True)
class Boxed:
    label: str
    payload: object


class Modelled(BaseModel):
    label: str
    payload: Any
    notes: list[object] = []


class Packed(msgspec.Struct, frozen=True):
    payload: dict[str, object]


@dataclasses.dataclass(frozen=True)
class Held(typing.Generic[T]):
    value: T
    extra: object


class Opaque:
    """A plain class: nothing in a checkpoint can say how to rebuild it."""


_JSON: dict[str, object] = {"a": [1, 2.5, None, True, "x", {"b": []}]}

ROUND_TRIPS: list[tuple[str, object, object]] = [
    ("object", object, _JSON),
    ("any", Any, [1, "two", None]),
    ("dict_of_object", dict[str, object], {"k": _JSON, "n": 3}),
    ("list_of_object", list[object], [_JSON, 1, "s"]),
    ("typed_dict", Loose, {"name": "n", "extra": _JSON}),
    ("dataclass", Boxed, Boxed("l", _JSON)),
    ("pydantic", Modelled, Modelled(label="l", payload=_JSON, notes=[1, None])),
    ("struct", Packed, Packed({"k": _JSON})),
    ("generic_dataclass", Held[int], Held(3, _JSON)),
    ("optional_list", list[object] | None, [_JSON]),
]


def _graph(kind: object, value: object, calls: list[str], fail: list[bool]):  # type: ignore[no-untyped-def]
    """``make`` returns ``value`` typed ``kind``; ``use`` fails while ``fail[0]`` holds."""

    def make() -> object:
        calls.append("make")
        return value

    make.__annotations__["return"] = kind

    def use(got: object) -> bool:
        calls.append("use")
        if fail[0]:
            raise RuntimeError("not yet")
        return got == value and type(got) is type(value)

    b = GraphBuilder("storable")
    made = b.add(make, id="make")
    return b.build(b.add(use, id="use", inputs={"got": made}))


@pytest.mark.parametrize(("label", "kind", "value"), ROUND_TRIPS, ids=[r[0] for r in ROUND_TRIPS])
async def test_a_run_resumes_with_the_value_read_back(
    tmp_path: Path, label: str, kind: object, value: object
) -> None:
    calls: list[str] = []
    fail = [True]
    graph = _graph(kind, value, calls, fail)
    async with SQLiteStore(tmp_path / "runs.db") as store:
        first = await graph.run(options=RunOptions(store=store, run_id="r"))
        assert first.status is RunStatus.FAILED
    fail[0] = False
    async with SQLiteStore(tmp_path / "runs.db") as store:  # a fresh connection: from disk
        second = await resume(graph, "r", store=store)
    assert second.status is RunStatus.SUCCEEDED, second.error
    assert calls == ["make", "use", "use"]  # `make` was read back, not run again
    assert second.output is True  # equal, and of the declared class


@pytest.mark.parametrize(
    ("kind", "value", "where"),
    [
        (object, datetime.date(2024, 1, 2), "`date` at `$`"),
        (dict[str, object], {"k": (1, 2)}, "`tuple` at `$.k`"),
        (list[object], [{1: "x"}], "`int` key at `$[0]`"),
        (Loose, {"name": "n", "extra": {1, 2}}, "`set` at `$.extra`"),
        (Boxed, Boxed("l", float("nan")), "the float nan at `$.payload`"),
        (Held[int], Held(1, ("a",)), "`tuple` at `$.extra`"),
        (Modelled, Modelled(label="l", payload=[Opaque()]), "`Opaque` at `$.payload[0]`"),
    ],
)
async def test_a_value_that_would_not_read_back_fails_its_node_and_is_never_stored(
    tmp_path: Path, kind: object, value: object, where: str
) -> None:
    calls: list[str] = []
    graph = _graph(kind, value, calls, [False])
    async with SQLiteStore(tmp_path / "runs.db") as store:
        result = await graph.run(options=RunOptions(store=store, run_id="r"))
        stored = await store.load("r")
    assert result.status is RunStatus.FAILED
    assert calls == ["make"]  # a wrong output is final: not retried, nothing downstream ran
    error = result.error
    while error is not None and not isinstance(error, NodeOutputError):
        error = error.__cause__ or getattr(error, "error", None)
    assert isinstance(error, NodeOutputError)
    assert where in str(error)
    assert "declare the precise type" in str(error)
    assert stored is not None
    assert "make" not in stored.outputs


async def test_the_same_graph_without_a_store_passes_any_value(tmp_path: Path) -> None:
    graph = _graph(object, datetime.date(2024, 1, 2), [], [False])
    assert (await graph.run()).output is True


@pytest.mark.parametrize(
    ("kind", "named"),
    [
        (Opaque, "`Opaque`"),
        (list[Opaque], "`Opaque`"),
        (dict[str, Opaque] | None, "`Opaque`"),
        (int | object, "`int | object`"),
    ],
)
async def test_a_type_no_checkpoint_can_hold_is_refused_before_the_run_is_recorded(
    tmp_path: Path, kind: object, named: str
) -> None:
    calls: list[str] = []
    graph = _graph(kind, None, calls, [False])
    async with SQLiteStore(tmp_path / "runs.db") as store:
        with pytest.raises(DefinitionError) as caught:
            await graph.run(options=RunOptions(store=store, run_id="r"))
        assert await store.load("r") is None
    assert calls == []
    message = str(caught.value)
    assert "[unstorable-type] node `make`" in message
    assert named in message
    assert "declare a type a checkpoint can hold" in message
    with pytest.raises(DefinitionError):  # resume refuses it the same way
        await resume(graph, "r", store=SQLiteStore(tmp_path / "other.db"))


async def test_nodes_inside_subgraphs_and_maps_are_checked_with_their_paths(
    tmp_path: Path,
) -> None:
    @node
    def opaque(x: int) -> Opaque:
        return Opaque()

    inner = GraphBuilder("inner", inputs={"x": int})
    body = inner.build(inner.add(opaque, inputs={"x": "inputs.x"}))

    @node
    def count(x: int) -> list[int]:
        return list(range(x))

    b = GraphBuilder("outer", inputs={"x": int})
    items = b.add(count, inputs={"x": "inputs.x"})
    graph = b.build(b.map(body, over="x", id="each", inputs={"x": items}))
    async with SQLiteStore(tmp_path / "runs.db") as store:
        with pytest.raises(DefinitionError, match=r"node `each/opaque`"):
            await graph.run({"x": 2}, options=RunOptions(store=store))


def _echo_graph() -> Graph[object]:
    """One node that passes on its input, declared ``object``."""

    @node
    def echo(x: object) -> object:
        return x

    b = GraphBuilder("echo", inputs={"x": object})
    return b.build(b.add(echo, inputs={"x": "inputs.x"}))


async def test_an_input_declared_object_must_be_plain_json(tmp_path: Path) -> None:
    graph = _echo_graph()
    async with SQLiteStore(tmp_path / "runs.db") as store:
        with pytest.raises(InputError, match=r"input `x`.*`date` at `\$`"):
            await graph.run({"x": datetime.date(2024, 1, 2)}, options=RunOptions(store=store))
        done = await graph.run({"x": {"a": [1]}}, options=RunOptions(store=store))
    assert done.output == {"a": [1]}


async def test_a_graph_checked_once_still_has_each_runs_inputs_checked(tmp_path: Path) -> None:
    """A graph's types are looked at once (it is immutable); each run's input values
    are still checked, after a run that passed too."""
    from plait.engine import _storable

    graph = _echo_graph()
    async with SQLiteStore(tmp_path / "runs.db") as store:
        done = await graph.run({"x": [1, 2]}, options=RunOptions(store=store))
        assert _storable._CHECKED.get(id(graph)) is graph
        with pytest.raises(InputError, match=r"input `x`.*`date` at `\$`"):
            await graph.run({"x": datetime.date(2024, 1, 2)}, options=RunOptions(store=store))
    assert done.output == [1, 2]
