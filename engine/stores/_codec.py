"""Encoding checkpointed values with msgspec, driven by their declared types (its only home).

Values are JSON, so a stored run can be read by people and tools. Decoding is always
*against the type the graph declares* — the stored bytes never name a class — so a record
cannot make plait import or build anything the graph did not ask for.

A value declared ``object`` or ``Any`` (alone or inside a container, a dataclass, a
TypedDict, a pydantic model) is stored only when it is plain JSON (``None``, ``bool``,
``int``, ``float``, ``str``, ``list``, ``dict`` with ``str`` keys) and read back as plain
JSON; a declared type the codec cannot read back is refused before a run is recorded
(ADR 018).
"""

from __future__ import annotations

import functools
import math
import typing
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from msgspec.inspect import Type

from plait.nodes import type_name

__all__ = ["DecodeError", "decode", "encode", "unstorable_part"]

_UNDECLARED: Any = object()
"""``encode``'s default kind: the value is stored as msgspec encodes it, unchecked."""


class DecodeError(ValueError):
    """Stored bytes that do not fit the declared type."""


def _is_model(kind: object) -> bool:
    return isinstance(kind, type) and callable(getattr(kind, "model_validate", None))


def _enc_hook(value: object) -> object:
    dump = getattr(value, "model_dump", None)
    if callable(dump):  # a pydantic model: its JSON-mode dump
        return dump(mode="json")
    raise NotImplementedError(f"cannot checkpoint a {type(value).__qualname__}")


def _dec_hook(kind: type, data: object) -> object:
    if kind is object:  # declared `object`: the plain JSON value, as stored
        return data
    if _is_model(kind):
        return kind.model_validate(data)  # type: ignore[attr-defined]
    raise NotImplementedError(f"cannot restore a {kind!r}")


@functools.lru_cache(maxsize=1)
def _encoder() -> Any:
    import msgspec

    return msgspec.json.Encoder(enc_hook=_enc_hook, order="deterministic")


@functools.lru_cache(maxsize=512)
def _decoder(kind: Any) -> Any:
    import msgspec

    return msgspec.json.Decoder(type=kind, dec_hook=_dec_hook)


def encode(value: object, kind: object = _UNDECLARED) -> bytes:
    """JSON bytes for ``value``, of declared type ``kind`` when given.

    Raises:
        TypeError: when the value has a type msgspec cannot encode, or a part declared
            ``object``/``Any`` holds a value that is not plain JSON (it would not read back).
    """
    if kind is not _UNDECLARED:
        problem = json_problem(value, kind)
        if problem is not None:
            raise TypeError(problem)
    try:
        data: bytes = _encoder().encode(value)
    except (NotImplementedError, TypeError) as error:
        raise TypeError(str(error)) from None
    return data


def decode(data: bytes, kind: object) -> object:
    """The value of declared type ``kind`` stored in ``data``.

    Raises:
        DecodeError: when the bytes are not JSON of that type.
    """
    import msgspec

    try:
        decoder = _decoder(kind)
    except TypeError:  # an unhashable annotation
        decoder = _decoder.__wrapped__(kind)
    try:
        return decoder.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError) as error:
        raise DecodeError(str(error)) from None
    except NotImplementedError as error:  # a type refused before any run: never stored
        raise DecodeError(f"{error}: the declared type cannot be read back") from None


_PLAIN = "plain JSON (None, bool, int, float, str, list, dict with str keys)"


_STORABLE: set[object] = set()
"""Hashable types found storable: a durable run checks every node's type before it
starts, so a 1000-node chain would otherwise inspect the same types on every run."""


def unstorable_part(kind: object) -> str | None:
    """Why values declared ``kind`` could not be read back from a checkpoint, or None."""
    import msgspec

    hashable = _hashable(kind)
    if hashable and kind in _STORABLE:
        return None
    try:
        _decoder(kind) if hashable else _decoder.__wrapped__(kind)
        info = msgspec.inspect.type_info(kind)
    except (TypeError, ValueError) as error:  # msgspec cannot decode into this type at all
        return str(error)
    why = _custom_part(info, set())
    if why is None and hashable and len(_STORABLE) < 4096:  # a refusal is not kept: a
        _STORABLE.add(kind)  # forward reference may resolve later
    return why


def _custom_part(info: Type, seen: set[int]) -> str | None:
    """The first part of ``info`` that only a hook could restore and none does."""
    if id(info) in seen:
        return None
    seen.add(id(info))
    for part in _parts(info):
        import msgspec.inspect as mi

        if isinstance(part, mi.CustomType) and part.cls is not object:
            if not _is_model(part.cls):
                return f"`{type_name(part.cls)}` is not a type checkpoints can hold"
            for field_info in _model_fields(part.cls):
                found = _custom_part(field_info, seen)
                if found is not None:
                    return found
        elif part is not info:
            found = _custom_part(part, seen)
            if found is not None:
                return found
    return None


def _parts(info: Type) -> list[Type]:
    """``info`` itself if it is a leaf, else the types directly inside it."""
    import msgspec.inspect as mi

    if isinstance(info, mi.Metadata):
        return [info.type]
    if isinstance(info, mi.ListType | mi.SetType | mi.FrozenSetType | mi.VarTupleType):
        return [info.item_type]
    if isinstance(info, mi.TupleType | mi.UnionType):
        return list(info.item_types if isinstance(info, mi.TupleType) else info.types)
    if isinstance(info, mi.DictType):
        return [info.key_type, info.value_type]
    if isinstance(info, mi.DataclassType | mi.TypedDictType | mi.StructType | mi.NamedTupleType):
        return [field.type for field in info.fields]
    return [info]


def _model_fields(model: type) -> list[Type]:
    import msgspec

    fields: dict[str, Any] = getattr(model, "model_fields", {})
    return [msgspec.inspect.type_info(field.annotation) for field in fields.values()]


def _hashable(kind: object) -> bool:
    try:
        hash(kind)
    except TypeError:
        return False
    return True


def json_problem(value: object, kind: object) -> str | None:
    """Why ``value``, declared ``kind``, would not read back: a part declared ``object``
    or ``Any`` that holds something other than plain JSON. None when it reads back."""
    info = _open_info(kind) if _hashable(kind) else _open_info.__wrapped__(kind)
    if info is None:
        return None
    return _value_problem(value, info, "$")


@functools.lru_cache(maxsize=512)
def _open_info(kind: Any) -> Type | None:
    """``kind``'s msgspec type info when some part of it is ``object`` or ``Any``."""
    import msgspec

    try:
        info = msgspec.inspect.type_info(kind)
    except (TypeError, ValueError):
        return None
    return info if _is_open(info, set()) else None


def _is_open(info: Type, seen: set[int]) -> bool:
    import msgspec.inspect as mi

    if id(info) in seen:
        return False
    seen.add(id(info))
    if isinstance(info, mi.AnyType):
        return True
    if isinstance(info, mi.CustomType):
        if info.cls is object:
            return True
        return _is_model(info.cls) and any(_is_open(f, seen) for f in _model_fields(info.cls))
    parts = _parts(info)
    return parts != [info] and any(_is_open(part, seen) for part in parts)


def _value_problem(value: object, info: Type, path: str) -> str | None:
    """Checks only the parts declared open; a value of another shape is not this check's
    business (the declared-type check before staging catches it)."""
    import msgspec.inspect as mi

    if isinstance(info, mi.AnyType) or (isinstance(info, mi.CustomType) and info.cls is object):
        return _plain_problem(value, path)
    if isinstance(info, mi.Metadata):
        return _value_problem(value, info.type, path)
    if isinstance(info, mi.UnionType):
        opened = [member for member in info.types if _is_open(member, set())]
        problems = [_value_problem(value, member, path) for member in opened]
        return None if None in problems or not problems else problems[0]
    return _inner_problem(value, info, path)


def _inner_problem(value: object, info: Type, path: str) -> str | None:
    import msgspec.inspect as mi

    pairs: list[tuple[object, Type, str]] = []
    if isinstance(info, mi.ListType | mi.SetType | mi.FrozenSetType | mi.VarTupleType):
        if isinstance(value, list | tuple | set | frozenset):
            pairs = [(item, info.item_type, f"{path}[{i}]") for i, item in enumerate(value)]
    elif isinstance(info, mi.TupleType) and isinstance(value, tuple):
        typed = zip(value, info.item_types, strict=False)
        pairs = [(item, kind, f"{path}[{i}]") for i, (item, kind) in enumerate(typed)]
    elif isinstance(info, mi.DictType) and isinstance(value, dict):
        pairs = [(item, info.value_type, f"{path}.{key}") for key, item in value.items()]
    elif isinstance(info, mi.TypedDictType) and isinstance(value, dict):
        fields = [f for f in info.fields if f.name in value]
        pairs = [(value[f.name], f.type, f"{path}.{f.name}") for f in fields]
    elif isinstance(info, mi.DataclassType | mi.StructType | mi.NamedTupleType):
        if isinstance(value, typing.get_origin(info.cls) or info.cls):  # `Box[int]`: `Box`
            pairs = [(getattr(value, f.name), f.type, f"{path}.{f.name}") for f in info.fields]
    elif isinstance(info, mi.CustomType) and _is_model(info.cls) and isinstance(value, info.cls):
        names = list(getattr(info.cls, "model_fields", {}))
        types = _model_fields(info.cls)
        pairs = [(getattr(value, n), t, f"{path}.{n}") for n, t in zip(names, types, strict=True)]
    for item, kind, where in pairs:
        problem = _value_problem(item, kind, where)
        if problem is not None:
            return problem
    return None


def _plain_problem(value: object, path: str) -> str | None:
    kind = type(value)
    if value is None or kind is bool or kind is int or kind is str:
        return None
    if isinstance(value, float) and kind is float:
        return None if math.isfinite(value) else _found(f"the float {value}", path)
    if isinstance(value, list) and kind is list:
        for index, item in enumerate(value):
            problem = _plain_problem(item, f"{path}[{index}]")
            if problem is not None:
                return problem
        return None
    if isinstance(value, dict) and kind is dict:
        for key, entry in value.items():
            if type(key) is not str:
                return _found(f"a `{type(key).__name__}` key", path)
            problem = _plain_problem(entry, f"{path}.{key}")
            if problem is not None:
                return problem
        return None
    return _found(f"a `{kind.__name__}`", path)


def _found(what: str, path: str) -> str:
    return (
        f"`object`/`Any` holds only {_PLAIN}, found {what} at `{path}`; "
        "declare the precise type there instead of `object`/`Any`"
    )
