"""Encoding checkpointed values with msgspec, driven by their declared types (its only home).

Values are JSON, so a stored run can be read by people and tools. Decoding is always
*against the type the graph declares* — the stored bytes never name a class — so a record
cannot make plait import or build anything the graph did not ask for.
"""

from __future__ import annotations

import functools
from typing import Any

__all__ = ["DecodeError", "decode", "encode"]


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


def encode(value: object) -> bytes:
    """JSON bytes for ``value``.

    Raises:
        TypeError: when the value has a type msgspec cannot encode.
    """
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
