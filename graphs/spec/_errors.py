"""SpecError, and how spec locations are written: JSON paths such as ``$.nodes[3].retry``."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence

from plait.nodes import GraphDefinitionError, Problem

__all__ = ["MAX_PROBLEMS", "Path", "SpecError", "json_path", "printable", "shown"]

Path = tuple[str | int, ...]
"""A location in a spec document: keys and list indexes from the top."""

MAX_PROBLEMS = 100
"""A report stops listing after this many problems (a hostile spec can have millions)."""

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def printable(text: str) -> str:
    """``text`` with control, bidi and other invisible characters escaped (``\\u001b``)."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else _escape(char) for char in text)


def _escape(char: str) -> str:
    if char in "\n\t\r":
        return json.dumps(char)[1:-1]
    code = ord(char)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def shown(value: object, limit: int = 60) -> str:
    """A short, printable rendering of a value from a spec, for messages."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=repr)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return printable(text)


def json_path(path: Iterable[str | int]) -> str:
    """``("nodes", 3, "retry")`` as ``$.nodes[3].retry`` (odd keys as ``["a b"]``)."""
    parts = ["$"]
    for segment in path:
        if isinstance(segment, int):
            parts.append(f"[{segment}]")
        elif _IDENTIFIER.match(segment):
            parts.append(f".{segment}")
        else:
            text = segment if len(segment) <= 80 else segment[:77] + "..."
            parts.append(f"[{printable(json.dumps(text, ensure_ascii=False))}]")
    return "".join(parts)


def _clean(problem: Problem) -> Problem:
    return Problem(
        problem.code,
        printable(problem.location),
        printable(problem.message),
        printable(problem.hint),
    )


class SpecError(GraphDefinitionError):
    """A JSON spec cannot be read, does not follow the format, names what is not registered,
    or describes a graph that does not compile; ``problems`` lists every one found.

    Each problem's ``location`` is a JSON path into the spec (``$.nodes[3].retry``), or
    ``line L, column C`` when the text is not JSON at all. Text taken from the spec is
    escaped, so a hostile spec cannot put terminal control codes into a message.
    """

    def __init__(self, problems: Sequence[Problem], *, subject: str = "spec") -> None:
        super().__init__([_clean(problem) for problem in problems], subject=subject)
