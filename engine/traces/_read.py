"""Reading trace data back: typed field access that collects every problem with its place."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import Enum
from typing import TypeVar

__all__ = ["Reader"]

ValueT = TypeVar("ValueT")
EnumT = TypeVar("EnumT", bound=Enum)

_NAMES: Mapping[type, str] = {
    str: "a string",
    int: "an integer",
    list: "a list",
    dict: "a mapping",
}


class Reader:
    """Reads fields out of JSON-ready data; ``check()`` raises with every problem found."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[str] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def check(self) -> None:
        """Raise when anything was wrong.

        Raises:
            ValueError: naming the source and listing each problem at its location.
        """
        if not self.problems:
            return
        count = len(self.problems)
        listed = "\n".join(f"  - {problem}" for problem in self.problems)
        noun = "problem" if count == 1 else "problems"
        raise ValueError(f"{self.source} is not a plait trace ({count} {noun}):\n{listed}")

    def mapping(self, data: object, where: str) -> Mapping[str, object] | None:
        if isinstance(data, Mapping) and all(isinstance(key, str) for key in data):
            return data
        self.problem(where, f"expected a mapping, got {_shown(data)}")
        return None

    def get(
        self, data: Mapping[str, object], where: str, key: str, kind: type[ValueT]
    ) -> ValueT | None:
        """A required field of type ``kind`` (``None`` after recording a problem)."""
        if key not in data:
            self.problem(f"{where}.{key}", "missing")
            return None
        return self.optional(data, where, key, kind)

    def optional(
        self, data: Mapping[str, object], where: str, key: str, kind: type[ValueT]
    ) -> ValueT | None:
        """A field of type ``kind`` that may be absent."""
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
            return value
        self.problem(
            f"{where}.{key}", f"expected {_NAMES.get(kind, kind.__name__)}, got {_shown(value)}"
        )
        return None

    def choice(
        self, data: Mapping[str, object], where: str, key: str, kind: type[EnumT]
    ) -> EnumT | None:
        """A required string field naming a member of the enum ``kind``."""
        value = self.get(data, where, key, str)
        if value is None:
            return None
        try:
            return kind(value)
        except ValueError:
            known = ", ".join(f"`{member.value}`" for member in kind)
            self.problem(f"{where}.{key}", f"expected one of {known}, got `{value}`")
            return None

    def only(self, data: Mapping[str, object], where: str, known: Iterable[str]) -> None:
        """Record every field of ``data`` that is not ``known``."""
        allowed = set(known)
        for key in data:
            if key not in allowed:
                self.problem(f"{where}.{key}", "unknown field")


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
