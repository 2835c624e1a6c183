"""Tests for the type helpers: type names, edge assignability and field access."""

import collections
import dataclasses
import enum
import operator
import types
import typing
from collections.abc import (
    AsyncIterator,
    Callable,
    Collection,
    Container,
    Generator,
    Iterable,
    Iterator,
    Mapping,
    MutableSequence,
    Sequence,
)
from typing import (
    Annotated,
    Any,
    Generic,
    Literal,
    NamedTuple,
    NewType,
    NotRequired,
    Optional,
    Protocol,
    TypedDict,
    TypeVar,
    Union,
    runtime_checkable,
)

import pydantic
import pytest

from plait.nodes._fields import field_getter, field_types
from plait.nodes._type_names import close_matches, type_name
from plait.nodes._types import is_assignable

T = TypeVar("T")
Num = TypeVar("Num", bound=float)
StrOrBytes = TypeVar("StrOrBytes", str, bytes)


class Doc(pydantic.BaseModel):
    title: str
    body: Annotated[str, "markdown"] = ""
    score: float | None = None


class RankedDoc(Doc):
    rank: int


class Other(pydantic.BaseModel):
    title: str


class Page(pydantic.BaseModel, Generic[T]):
    items: list[T]
    total: int


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


@dataclasses.dataclass(frozen=True)
class Point:
    x: int
    y: int
    label: str = "origin"
    registry: typing.ClassVar[int] = 0


@dataclasses.dataclass(frozen=True)
class Point3(Point):
    z: int = 0


@dataclasses.dataclass
class Box(Generic[T]):
    item: T
    items: list[T]


class Movie(TypedDict):
    title: str
    year: NotRequired[int]


class Pair(NamedTuple):
    left: int
    right: str


class Docs(list[Doc]):
    pass


class Plain:
    title: str = ""


@runtime_checkable
class HasLen(Protocol):
    def __len__(self) -> int: ...


class Named(Protocol):
    name: str


UserId = NewType("UserId", int)
AdminId = NewType("AdminId", UserId)

ASSIGNABLE: list[tuple[object, object]] = [
    # identity, Any, object
    (int, int),
    (str, str),
    (Doc, Doc),
    (int, Any),
    (Any, int),
    (Doc, object),
    (list[Doc], object),
    (int | None, object),
    (Any, list[Doc]),
    (typing.Never, int),
    # numeric tower and subclasses
    (int, float),
    (int, complex),
    (float, complex),
    (bool, int),
    (bool, float),
    (Level, int),
    (RankedDoc, Doc),
    (Point3, Point),
    # None
    (None, None),
    (type(None), None),
    (None, type(None)),
    (None, int | None),
    (None, Optional[Doc]),  # noqa: UP045
    # unions
    (int, int | None),
    (int, Optional[float]),  # noqa: UP045
    (int | bool, int),
    (int | None, Optional[int]),  # noqa: UP045
    (Union[int, str], str | int),  # noqa: UP007
    (int | str, int | str | None),
    (RankedDoc | None, Doc | None),
    (bool | int, float | str),
    # Literal
    (Literal["a"], str),
    (Literal["a", "b"], str),
    (Literal["a"], Literal["a", "b"]),
    (Literal["a", "b"], Literal["b", "a", "c"]),
    (Literal[1, True], int),
    (Literal["a", 1], str | int),
    (Literal["a", None], str | None),
    (Literal[None], None),
    (Literal["a"], Literal["a"] | Literal["b"]),
    (Literal[Color.RED], Color),
    (Literal[Level.LOW], int),
    (Color, Literal[Color.RED, Color.GREEN]),
    (Color, Literal[Color.GREEN, Color.RED, "x"]),
    (Color, Literal[Color.RED] | Literal[Color.GREEN]),
    (None, Literal[None, "a"]),
    # Annotated, NewType, TypeVar
    (Annotated[int, "meta"], int),
    (int, Annotated[int, "meta"]),
    (Annotated[int, []], float),
    (list[Annotated[int, "meta"]], list[int]),
    (UserId, int),
    (AdminId, int),
    (AdminId, float),
    (AdminId, UserId),
    (UserId, UserId),
    (T, str),
    (Num, float),
    (int, Num),
    (StrOrBytes, str | bytes),
    (str, StrOrBytes),
    # generics: same origin, covariant arguments
    (list[int], list[int]),
    (list[bool], list[int]),
    (list[RankedDoc], list[Doc]),
    (list[int], list[float]),
    (list[Any], list[Doc]),
    (list[Doc], list[Any]),
    (set[int], set[float]),
    (frozenset[bool], frozenset[int]),
    (dict[str, int], dict[str, float]),
    (dict[str, list[RankedDoc]], dict[str, list[Doc]]),
    (list[list[bool]], list[list[int]]),
    (list[int | None], list[float | None]),
    (type[bool], type[int]),
    (typing.List[int], list[int]),  # noqa: UP006
    (list[int], typing.List[int]),  # noqa: UP006
    (typing.Dict[str, int], Mapping[str, int]),  # noqa: UP006
    (Page[int], Page[int]),
    (Page[int], Page),
    # generics: abstract targets
    (list[int], Sequence[int]),
    (list[int], Iterable[int]),
    (list[int], Collection[int]),
    (list[int], Container[int]),
    (list[bool], Sequence[float]),
    (list[int], MutableSequence[int]),
    (set[int], Iterable[int]),
    (dict[str, int], Mapping[str, int]),
    (dict[str, int], Mapping[str, float]),
    (dict[str, int], Iterable[str]),
    (collections.OrderedDict[str, int], dict[str, int]),
    (collections.defaultdict[str, int], Mapping[str, int]),
    (collections.Counter[str], Mapping[str, int]),
    (collections.deque[int], Sequence[int]),
    (Iterator[int], Iterable[int]),
    (Generator[int, None, None], Iterator[int]),
    (Sequence[int], Iterable[float]),
    (tuple[int, str], Sequence[int | str]),
    (tuple[int, ...], Sequence[int]),
    (AsyncIterator[int], typing.AsyncIterable[int]),
    # bare classes and parameterised targets
    (list, list[int]),
    (list[int], list),
    (dict[str, int], dict),
    (list[int], Sequence),
    (list, Sequence[int]),
    (dict, Mapping[str, int]),
    (tuple, tuple[int, int]),
    (str, Sequence[str]),
    (str, Iterable[str]),
    (bytes, Sequence[int]),
    (Docs, list[Doc]),
    (Docs, Sequence[Doc]),
    (Docs, list),
    # tuples
    (tuple[int, str], tuple[int, str]),
    (tuple[bool, str], tuple[int, str]),
    (tuple[int, int], tuple[int, ...]),
    (tuple[int, bool], tuple[int, ...]),
    (tuple[()], tuple[()]),
    (tuple[()], tuple[int, ...]),
    (tuple[bool, ...], tuple[int, ...]),
    (tuple[int, str], tuple),
    (Pair, tuple[int, str]),
    (Pair, tuple[int | str, ...]),
    (Pair, tuple),
    # Callable
    (Callable[[int], str], Callable[[int], str]),
    (Callable[[float], bool], Callable[[int], int]),
    (Callable[..., str], Callable[[int], str]),
    (Callable[[int], str], Callable[..., str]),
    # structured types and protocols
    (Movie, Movie),
    (Movie, dict),
    (Movie, Mapping[str, object]),
    (Pair, Pair),
    (Point, Point),
    (list[Movie], Sequence[Movie]),
    (list, HasLen),
    (Named, Named),
    ("Doc", "Doc"),
]

NOT_ASSIGNABLE: list[tuple[object, object]] = [
    # no silent coercion
    (str, int),
    (int, str),
    (float, int),
    (complex, float),
    (int, bool),
    (str, bytes),
    (list[Doc], Doc),
    (Doc, list[Doc]),
    (Doc, RankedDoc),
    (Doc, Other),
    (Other, Doc),
    (Point, Point3),
    (object, int),
    (int, typing.Never),
    # None
    (None, int),
    (int | None, int),
    (Optional[Doc], Doc),  # noqa: UP045
    (Doc, None),
    # unions
    (int | str, int),
    (str, int | None),
    (int | str, float | None),
    (Doc | Other, Doc),
    # Literal
    (Literal[1], str),
    (Literal["a", 1], str),
    (Literal["a", "b"], Literal["a"]),
    (Literal["c"], Literal["a", "b"]),
    (Literal[1], Literal[True]),
    (Literal[True], Literal[1]),
    (Literal[1], Literal["1"]),
    (str, Literal["a"]),
    (int, Literal[1, 2]),
    (bool, Literal[True, False]),
    (Color, Literal[Color.RED]),
    (Color, Literal["red", "green"]),
    (Level, Literal[1, 2]),
    (Literal[Color.RED], str),
    (Literal["a", None], str),
    (None, Literal["a"]),
    # Annotated, NewType, TypeVar
    (Annotated[str, "meta"], int),
    (UserId, str),
    # a NewType target keeps its promise: a plain int is not a UserId
    (int, UserId),
    (UserId, AdminId),
    (Num, int),
    (StrOrBytes, str),
    # generics
    (list[str], list[int]),
    (list[int], list[bool]),
    (list[float], list[int]),
    (list[Doc], list[RankedDoc]),
    (list[int], set[int]),
    (set[int], list[int]),
    (list[int], dict[int, int]),
    (dict[str, int], dict[str, str]),
    (dict[int, int], dict[str, int]),
    (dict[str, list[str]], dict[str, list[int]]),
    (list[list[int]], list[int]),
    (list[int | None], list[int]),
    (type[int], type[bool]),
    (Sequence[int], list[int]),
    (Iterable[int], Sequence[int]),
    (Mapping[str, int], dict[str, int]),
    (list[str], Sequence[int]),
    (dict[str, int], Iterable[int]),
    (dict[str, int], Mapping[str, str]),
    (collections.Counter[str], Mapping[str, str]),
    (Page[int], Page[str]),
    (Page[int], list[int]),
    (list[int], Iterator[int]),
    (tuple[int, str], Sequence[int]),
    # bare classes and parameterised targets
    (list, Doc),
    (list, dict[str, int]),
    (str, Sequence[int]),
    (str, list[str]),
    (bytes, Sequence[str]),
    (Docs, list[str]),
    (Docs, Sequence[int]),
    (Sequence, list),
    # tuples
    (tuple[int, str], tuple[str, int]),
    (tuple[int, str], tuple[int]),
    (tuple[int], tuple[int, str]),
    (tuple[int, ...], tuple[int, int]),
    (tuple[int, ...], tuple[()]),
    (tuple[int, str], tuple[int, ...]),
    (tuple[float, ...], tuple[int, ...]),
    (list[int], tuple[int, ...]),
    (Pair, tuple[str, int]),
    (Pair, tuple[int, str, int]),
    # Callable
    (Callable[[int], str], Callable[[int], int]),
    (Callable[[int], str], Callable[[float], str]),
    (Callable[[int], str], Callable[[int, int], str]),
    # structured types and protocols
    (dict, Movie),
    (dict[str, object], Movie),
    (Point, Pair),
    (Pair, Point),
    (Movie, Doc),
    (int, HasLen),
    (str, Named),
    ("Doc", "Other"),
]


@pytest.mark.parametrize(("source", "target"), ASSIGNABLE)
def test_assignable(source: object, target: object) -> None:
    assert is_assignable(source, target), f"{source!r} should fit {target!r}"


@pytest.mark.parametrize(("source", "target"), NOT_ASSIGNABLE)
def test_not_assignable(source: object, target: object) -> None:
    assert not is_assignable(source, target), f"{source!r} should not fit {target!r}"


def test_assignable_is_deterministic_when_cached() -> None:
    for _ in range(3):
        assert is_assignable(list[bool], Sequence[int])
        assert not is_assignable(list[str], Sequence[int])


def test_assignable_with_unhashable_annotation() -> None:
    meta: list[object] = []
    assert is_assignable(Annotated[bool, meta], Annotated[int, meta])
    assert not is_assignable(Annotated[str, meta], int)


def test_assignable_local_classes_do_not_clash() -> None:
    def make() -> type:
        class Item(pydantic.BaseModel):
            x: int

        return Item

    first, second = make(), make()
    assert is_assignable(first, first)
    assert not is_assignable(first, second)


QUALIFIED_NAMES: list[tuple[object, str, str]] = [
    (int, "int", "int"),
    (str, "str", "str"),
    (None, "None", "None"),
    (type(None), "None", "None"),
    (Any, "Any", "Any"),
    (object, "object", "object"),
    (Doc, "Doc", "{m}.Doc"),
    (Color, "Color", "{m}.Color"),
    (list[Doc], "list[Doc]", "list[{m}.Doc]"),
    (typing.List[Doc], "list[Doc]", "list[{m}.Doc]"),  # noqa: UP006
    (typing.List, "list", "list"),  # noqa: UP006
    (dict[str, int], "dict[str, int]", "dict[str, int]"),
    (tuple[int, ...], "tuple[int, ...]", "tuple[int, ...]"),
    (tuple[int, str], "tuple[int, str]", "tuple[int, str]"),
    (tuple[()], "tuple[()]", "tuple[()]"),
    (int | None, "int | None", "int | None"),
    (Optional[Doc], "Doc | None", "{m}.Doc | None"),  # noqa: UP045
    (Union[str, int, None], "str | int | None", "str | int | None"),  # noqa: UP007
    (Literal["a", "b"], "Literal['a', 'b']", "Literal['a', 'b']"),
    (Literal[1, True, None], "Literal[1, True, None]", "Literal[1, True, None]"),
    (Literal[Color.RED], "Literal[Color.RED]", "Literal[{m}.Color.RED]"),
    (Annotated[int, "meta"], "int", "int"),
    (Annotated[list[Doc], "meta"], "list[Doc]", "list[{m}.Doc]"),
    (UserId, "UserId", "{m}.UserId"),
    (T, "T", "T"),
    (types.GenericAlias(list, (T,)), "list[T]", "list[T]"),
    (Sequence[int], "Sequence[int]", "collections.abc.Sequence[int]"),
    (
        Callable[[int, str], bool],
        "Callable[[int, str], bool]",
        "collections.abc.Callable[[int, str], bool]",
    ),
    (Callable[..., None], "Callable[..., None]", "collections.abc.Callable[..., None]"),
    (type[Doc], "type[Doc]", "type[{m}.Doc]"),
    (Page[int], "Page[int]", "{m}.Page[int]"),
    (Box[int], "Box[int]", "{m}.Box[int]"),
    (NotRequired[int], "NotRequired[int]", "NotRequired[int]"),
    (typing.Never, "Never", "Never"),
    ("Doc", "Doc", "Doc"),
    (typing.ForwardRef("Doc"), "Doc", "Doc"),
]


@pytest.mark.parametrize(("tp", "short", "qualified"), QUALIFIED_NAMES)
def test_type_name(tp: object, short: str, qualified: str) -> None:
    assert type_name(tp) == short
    assert type_name(tp, qualified=True) == qualified.format(m=__name__)


def test_type_name_keeps_union_order() -> None:
    assert type_name(int | str) == "int | str"
    assert type_name(str | int) == "str | int"


def test_type_name_local_class() -> None:
    class Local:
        pass

    assert type_name(Local) == "Local"
    assert type_name(Local, qualified=True) == (
        f"{__name__}.test_type_name_local_class.<locals>.Local"
    )


def test_type_name_never_raises_and_hides_addresses() -> None:
    class Weird:
        def __repr__(self) -> str:
            raise RuntimeError("boom")

    marker = object()
    assert type_name(3) == "3"
    assert "0x" not in type_name(marker)
    assert type_name(Weird()) == "<Weird>"


def test_field_types_pydantic() -> None:
    assert field_types(Doc) == {
        "title": str,
        "body": Annotated[str, "markdown"],
        "score": float | None,
    }
    assert field_types(RankedDoc) == {**field_types(Doc), "rank": int}  # type: ignore[dict-item]
    assert field_types(Page[int]) == {"items": list[int], "total": int}


def test_field_types_dataclass() -> None:
    assert field_types(Point) == {"x": int, "y": int, "label": str}
    assert field_types(Point3) == {"x": int, "y": int, "label": str, "z": int}
    assert field_types(Box[str]) == {"item": str, "items": list[str]}
    assert field_types(Annotated[Point, "meta"]) == {"x": int, "y": int, "label": str}


def test_field_types_typeddict_and_namedtuple() -> None:
    assert field_types(Movie) == {"title": str, "year": NotRequired[int]}
    assert field_types(Pair) == {"left": int, "right": str}
    untyped = collections.namedtuple("untyped", ["a", "b"])
    assert field_types(untyped) == {"a": Any, "b": Any}


NO_FIELDS: list[object] = [
    Plain,
    int,
    str,
    list[Doc],
    dict[str, int],
    Doc | None,
    Optional[Point],  # noqa: UP045
    Any,
    "Doc",
]


@pytest.mark.parametrize("tp", NO_FIELDS)
def test_field_types_none(tp: object) -> None:
    assert field_types(tp) is None


def test_field_types_is_read_only_and_cached() -> None:
    fields = field_types(Doc)
    assert fields is field_types(Doc)
    with pytest.raises(TypeError):
        fields["title"] = int  # type: ignore[index]


def test_field_getter() -> None:
    doc = Doc(title="t")
    point = Point(1, 2)
    pair = Pair(3, "r")
    movie: Movie = {"title": "m"}
    assert field_getter(Doc, "title")(doc) == "t"
    assert field_getter(Point, "y")(point) == 2
    assert field_getter(Pair, "right")(pair) == "r"
    assert field_getter(Plain, "title")(Plain()) == ""
    assert field_getter(Movie, "title")(movie) == "m"
    assert field_getter(dict[str, int], "k")({"k": 1}) == 1
    assert field_getter(Mapping[str, int], "k")({"k": 1}) == 1
    assert field_getter(Annotated[Movie, "meta"], "title")(movie) == "m"
    assert isinstance(field_getter(Movie, "title"), operator.itemgetter)
    assert isinstance(field_getter(Doc, "title"), operator.attrgetter)


def test_close_matches() -> None:
    candidates = ["title", "body", "score", "titles", "tile"]
    assert close_matches("titel", candidates) == ["title", "titles", "tile"]
    assert close_matches("zzz", candidates) == []
    assert close_matches("body", iter(candidates)) == ["body"]
