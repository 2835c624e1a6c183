"""Reading a spec into plain JSON data, inside the limits: the first, data-only stage.

Text is parsed by the standard ``json`` module with duplicate keys caught and ``NaN`` /
``Infinity`` refused; a dict handed in is checked to hold JSON values only (exact
``dict``/``list``/``str``/``int``/``float``/``bool``/``None``), so no object of the caller's
reaches later stages. Then one walk checks nesting depth and string lengths.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path as FilePath

from plait.graphs.spec._errors import MAX_PROBLEMS, Path, SpecError, json_path, shown
from plait.graphs.spec._limits import SpecLimits
from plait.nodes import Problem

__all__ = ["SpecSource", "check_data", "read_document"]

SpecSource = str | bytes | os.PathLike[str] | Mapping[str, object]
"""A spec: JSON text (``str`` or ``bytes``), a file path (``pathlib.Path``), or its data."""

_BRACKETS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')
_NONE = type(None)
_SCALARS = (int, bool, _NONE)


class _Duplicates(dict[str, object]):
    """A parsed object in which some key appeared twice (the last value kept)."""

    repeated: list[str]


_CONTAINERS = (dict, list, _Duplicates)


def _object(pairs: list[tuple[str, object]]) -> dict[str, object]:
    made = dict(pairs)
    if len(made) == len(pairs):
        return made
    marked = _Duplicates(made)
    seen: set[str] = set()
    marked.repeated = []
    for key, _ in pairs:
        if key in seen and key not in marked.repeated:
            marked.repeated.append(key)
        seen.add(key)
    return marked


def _reject_constant(name: str) -> object:
    raise ValueError(f"`{name}` is not JSON (numbers must be finite)")


def _line_column(text: str, position: int) -> str:
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    return f"line {line}, column {column}"


def _too_deep_at(text: str, max_depth: int) -> int:
    """Where the text's brackets first nest deeper than ``max_depth`` (strings skipped)."""
    depth = 0
    for match in _BRACKETS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > max_depth:
                return match.start()
        elif token in "]}":
            depth -= 1
    return 0


def _syntax(location: str, message: str, hint: str = "") -> SpecError:
    return SpecError([Problem("invalid-json", location, message, hint)])


def _parse_text(text: str, limits: SpecLimits) -> object:
    try:
        return json.loads(text, object_pairs_hook=_object, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        where = _line_column(text, error.pos)
        early = error.pos >= len(text.rstrip()) or error.msg.startswith("Unterminated")
        ending = " (the text ends early: is it truncated?)" if early else ""
        raise _syntax(where, f"not valid JSON: {error.msg}{ending}") from None
    except RecursionError:
        where = _line_column(text, _too_deep_at(text, limits.max_depth))
        raise SpecError(
            [Problem("too-deep", where, f"nested deeper than {limits.max_depth} levels")]
        ) from None
    except ValueError as error:  # NaN/Infinity, or an int with thousands of digits
        message = str(error)
        if "digits" in message:
            message = "a number has thousands of digits"
        raise _syntax("$", f"not valid JSON: {shown(message, 120)}") from None


def read_document(source: SpecSource, limits: SpecLimits) -> tuple[object, str]:
    """The spec's data, and what to call it in messages (``spec `digest.json```).

    Raises:
        SpecError: when the text is too large, not UTF-8, not JSON, or breaks a limit.
        FileNotFoundError: (and other ``OSError``s) when a path cannot be read.
    """
    if not isinstance(source, str | bytes | os.PathLike):
        data: object = source  # parsed data; anything but an object is refused later
        subject = "spec"
    else:
        if isinstance(source, os.PathLike):
            path = FilePath(os.fspath(source))
            subject = f"spec `{path}`"
            size = path.stat().st_size
            if size > limits.max_bytes:
                raise SpecError([_too_large(size, limits)], subject=subject)
            raw: str | bytes = path.read_bytes()
        else:
            raw = source
            subject = "spec"
        size = len(raw) if isinstance(raw, bytes) else len(raw.encode("utf-8", "surrogatepass"))
        if size > limits.max_bytes:
            raise SpecError([_too_large(size, limits)], subject=subject)
        if isinstance(raw, bytes):
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError as error:
                raise SpecError(
                    [Problem("invalid-json", f"byte {error.start}", "the text is not UTF-8")],
                    subject=subject,
                ) from None
        else:
            text = raw
        try:
            data = _parse_text(text, limits)
        except SpecError as error:
            raise SpecError(error.problems, subject=subject) from None
    problems = check_data(data, limits)
    if problems:
        raise SpecError(problems, subject=subject)
    return data, subject


def _too_large(size: int, limits: SpecLimits) -> Problem:
    return Problem(
        "too-large",
        "$",
        f"the document is {size:,} bytes; the limit is {limits.max_bytes:,}",
        "raise SpecLimits(max_bytes=...) if it is meant to be this big",
    )


_Where = tuple["_Where | None", str | int] | None
"""A location as a linked list (parent, segment): cheap to extend, made a path on error."""


def _path(where: _Where) -> Path:
    segments: list[str | int] = []
    while where is not None:
        where, segment = where
        segments.append(segment)
    return tuple(reversed(segments))


class _Walk:
    """One pass over parsed data, collecting what breaks the data rules or the limits."""

    def __init__(self, limits: SpecLimits) -> None:
        self.max_depth = limits.max_depth
        self.max_length = limits.max_string_length
        self.problems: list[Problem] = []

    def add(self, code: str, where: _Where, message: str, hint: str = "") -> None:
        self.problems.append(Problem(code, json_path(_path(where)), message, hint))

    def long_string(self, text: str, where: _Where) -> None:
        self.add(
            "too-long",
            where,
            f"a string of {len(text):,} characters; the limit is {self.max_length:,}",
            "raise SpecLimits(max_string_length=...) if it is meant to be this long",
        )

    def scalar(self, value: object, where: _Where) -> None:
        kind = type(value)
        if kind is str:
            assert isinstance(value, str)
            if len(value) > self.max_length:
                self.long_string(value, where)
        elif kind is float:
            assert isinstance(value, float)
            if not math.isfinite(value):
                self.add(
                    "invalid-value", where, f"{value} is not a JSON number", "use a finite one"
                )
        elif kind not in _SCALARS:
            self.add(
                "invalid-value",
                where,
                f"a `{shown(type(value).__qualname__)}` is not JSON data",
                "a spec holds only objects, arrays, strings, numbers, booleans and null",
            )

    def keys(self, value: dict[object, object], where: _Where) -> list[tuple[str | int, object]]:
        """The object's items whose keys are strings within the length limit."""
        pairs: list[tuple[str | int, object]] = []
        for key, item in value.items():
            if not isinstance(key, str) or type(key) is not str:
                self.add("invalid-value", where, f"key {shown(repr(key))} is not a string")
            elif len(key) > self.max_length:
                self.long_string(key, (where, key[:40] + "..."))
            else:
                pairs.append((key, item))
        return pairs

    def run(self, data: object) -> list[Problem]:
        if type(data) not in _CONTAINERS:
            self.scalar(data, None)
            return self.problems
        stack: list[tuple[object, int, _Where]] = [(data, 1, None)]
        max_depth, max_length = self.max_depth, self.max_length
        while stack and len(self.problems) < MAX_PROBLEMS:
            value, depth, where = stack.pop()
            if depth > max_depth:
                self.add("too-deep", where, f"nested deeper than {max_depth} levels")
                continue
            pairs: Iterable[tuple[str | int, object]]
            if isinstance(value, dict):
                if isinstance(value, _Duplicates):
                    for repeated in value.repeated:
                        self.add(
                            "duplicate-key",
                            where,
                            f"key `{shown(repeated)}` appears twice",
                            "keep one",
                        )
                pairs = self.keys(value, where)
            else:
                assert isinstance(value, list)
                pairs = enumerate(value)
            for segment, item in pairs:
                kind = type(item)
                if kind in _CONTAINERS:
                    stack.append((item, depth + 1, (where, segment)))
                elif kind is str:
                    if len(item) > max_length:  # type: ignore[arg-type]
                        self.scalar(item, (where, segment))
                elif kind not in _SCALARS:
                    self.scalar(item, (where, segment))
        return self.problems[:MAX_PROBLEMS]


def check_data(data: object, limits: SpecLimits) -> list[Problem]:
    """Every place where ``data`` is not plain JSON, nests too deep, repeats a key, or
    holds a string over the length limit (at most ``MAX_PROBLEMS`` of them)."""
    return _Walk(limits).run(data)
