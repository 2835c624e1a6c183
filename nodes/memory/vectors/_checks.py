"""Checks of what an index is given besides vectors: ids, metadata and filters."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence

from plait.nodes.memory.vectors._protocol import JsonValue, Metadata, VectorError, Where

__all__ = ["check_ids", "check_k", "check_metadata", "check_where", "matches"]


def check_ids(ids: Sequence[str]) -> None:
    """Raises ``VectorError`` for an id that is not a non-empty string, or one repeated
    in the batch."""
    if isinstance(ids, str):
        raise VectorError(f"ids is the string {ids!r}: give a list of ids, e.g. [{ids!r}]")
    seen: set[str] = set()
    for item in ids:
        if not isinstance(item, str) or not item:
            raise VectorError(f"id {item!r}: expected a non-empty string")
        if item in seen:
            raise VectorError(f"id {item!r} appears twice in one batch: give each item once")
        seen.add(item)


def check_metadata(metadata: Sequence[Metadata], ids: Sequence[str]) -> list[dict[str, JsonValue]]:
    """One plain dict per id (empty when ``metadata`` is empty).

    Raises:
        VectorError: when the counts differ or a value is not JSON (naming the id and field).
    """
    if not metadata:
        return [{} for _ in ids]
    if len(metadata) != len(ids):
        raise VectorError(
            f"{len(ids)} ids but {len(metadata)} metadata mappings: give one per id, or none"
        )
    checked: list[dict[str, JsonValue]] = []
    for item, fields in zip(ids, metadata, strict=True):
        if not isinstance(fields, Mapping):
            raise VectorError(f"metadata of {item!r} is {type(fields).__name__}: expected a dict")
        for name, value in fields.items():
            if not isinstance(name, str):
                raise VectorError(f"metadata of {item!r}: field {name!r} is not a string")
            problem = _json_problem(value)
            if problem:
                raise VectorError(f"metadata of {item!r}, field {name!r}: {problem}")
        checked.append(dict(fields))
    return checked


def _json_problem(value: object) -> str | None:
    if value is None or isinstance(value, str | bool | int):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{value} is not a JSON number"
    if isinstance(value, list | tuple):
        return next((p for p in map(_json_problem, value) if p), None)
    if isinstance(value, Mapping):
        if not all(isinstance(key, str) for key in value):
            return "a nested dict has a key that is not a string"
        return next((p for p in map(_json_problem, value.values()) if p), None)
    return (
        f"{type(value).__name__} is not a JSON value (use str, int, float, bool, None, list, dict)"
    )


def check_k(k: int) -> None:
    """Raises ``VectorError`` unless ``k`` is a positive int."""
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise VectorError(f"k={k!r}: expected a positive number of results")


def check_where(where: Where, fields: Counter[str]) -> None:
    """Raises ``VectorError`` naming every field of ``where`` that no stored item has."""
    if not isinstance(where, Mapping):
        raise VectorError(f"where={where!r}: expected a dict of field -> value")
    unknown = sorted(name for name in where if not fields.get(name))
    if unknown:
        known = ", ".join(sorted(name for name, count in fields.items() if count)) or "none"
        names = ", ".join(repr(name) for name in unknown)
        raise VectorError(
            f"filter field {names} is not a metadata field of any stored item "
            f"(known fields: {known}): check the spelling"
        )


def matches(metadata: Mapping[str, JsonValue], where: Where) -> bool:
    """Whether every field of ``where`` is in ``metadata`` with an equal value."""
    missing = object()
    return all(metadata.get(name, missing) == value for name, value in where.items())
