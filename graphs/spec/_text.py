"""The text forms a spec uses for Python things: type expressions and route labels.

A type expression is a tiny, Python-like language read by a hand-written parser, never by
``eval``: registered names (``Finding``, ``str``), subscripts (``list[Finding]``,
``dict[str, int]``, ``tuple[int, ...]``), unions (``str | None``) and
``Literal['a', 1, True, None, Color.RED]``.
"""

from __future__ import annotations

import enum
import functools
import json
import operator
import re
import typing
from collections.abc import Mapping
from types import UnionType
from typing import Literal, cast

from plait.graphs.spec._registry import Registry
from plait.nodes import type_name

__all__ = ["TypeTextError", "label_key", "parse_type", "write_type"]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<ellipsis>\.\.\.)
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
      | (?P<string>'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
      | (?P<int>-?[0-9]+)
      | (?P<punct>[\[\],|])
    )""",
    re.VERBOSE,
)
_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "t": "\t", "r": "\r"}
_MAX_DIGITS = 30
_UNIONS = (typing.Union, UnionType)


class TypeTextError(ValueError):
    """A type expression cannot be read, or names an unregistered type."""

    def __init__(self, message: str, *, unknown: str | None = None) -> None:
        super().__init__(message)
        self.unknown = unknown
        """The unregistered name, when that is the problem."""


class _Parser:
    def __init__(self, text: str, types: Mapping[str, object], max_depth: int) -> None:
        self.tokens = self._tokenize(text)
        self.position = 0
        self.types = types
        self.max_depth = max_depth

    @staticmethod
    def _tokenize(text: str) -> list[tuple[str, str]]:
        tokens: list[tuple[str, str]] = []
        position = 0
        while position < len(text):
            if text[position:].isspace():
                break
            match = _TOKEN.match(text, position)
            if match is None or match.lastgroup is None:
                raise TypeTextError(f"unexpected `{text[position:][:20]}` at character {position}")
            tokens.append((match.lastgroup, match.group(match.lastgroup)))
            position = match.end()
        return tokens

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self, text: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            wanted = f"`{text}`" if text else "more"
            raise TypeTextError(f"expected {wanted}, the expression ended")
        if text is not None and token[1] != text:
            raise TypeTextError(f"expected `{text}`, found `{token[1]}`")
        self.position += 1
        return token

    def expression(self, depth: int) -> object:
        if depth > self.max_depth:
            raise TypeTextError(f"nested deeper than {self.max_depth} levels")
        members = [self.term(depth)]
        while self.peek() == ("punct", "|"):
            self.take()
            members.append(self.term(depth))
        if len(members) == 1:
            return members[0]
        try:
            return functools.reduce(operator.or_, members)
        except TypeError as error:
            raise TypeTextError(f"cannot make a union of these types ({error})") from None

    def term(self, depth: int) -> object:
        kind, text = self.take()
        if kind != "name":
            raise TypeTextError(f"expected a type name, found `{text}`")
        if text == "Literal":
            return self.literal()
        found = self.types.get(text)
        if found is None:
            raise TypeTextError(f"type `{text}` is not registered", unknown=text)
        if self.peek() != ("punct", "["):
            return found
        self.take()
        arguments: list[object] = []
        while True:
            if self.peek() == ("ellipsis", "..."):
                self.take()
                arguments.append(Ellipsis)
            else:
                arguments.append(self.expression(depth + 1))
            if self.closes():
                break
        try:
            subscript = cast(typing.Any, found)
            return subscript[tuple(arguments) if len(arguments) > 1 else arguments[0]]
        except Exception as error:  # the registered class's own __class_getitem__ refused
            raise TypeTextError(f"`{text}` cannot take these arguments ({error})") from None

    def literal(self) -> object:
        self.take("[")
        values: list[object] = []
        while True:
            values.append(self.literal_value())
            if self.closes():
                break
        return cast(typing.Any, Literal)[tuple(values)]

    def closes(self) -> bool:
        """After an argument: True at `]` (a trailing `,` allowed), False at `,`."""
        _, text = self.take()
        if text == "]":
            return True
        if text != ",":
            raise TypeTextError(f"expected `,` or `]`, found `{text}`")
        if self.peek() == ("punct", "]"):
            self.take()
            return True
        return False

    def literal_value(self) -> object:
        kind, text = self.take()
        if kind == "string":
            return _unquote(text)
        if kind == "int":
            if len(text) > _MAX_DIGITS:
                raise TypeTextError(f"literal number with more than {_MAX_DIGITS} digits")
            return int(text)
        if kind == "name":
            constants = {"True": True, "False": False, "None": None}
            if text in constants:
                return constants[text]
            owner, _, member = text.rpartition(".")
            enum_type = self.types.get(owner)
            if isinstance(enum_type, type) and issubclass(enum_type, enum.Enum):
                if member in enum_type.__members__:
                    return enum_type.__members__[member]
                raise TypeTextError(f"`{owner}` has no member `{member}`")
            raise TypeTextError(
                f"`{text}` is not a literal (a quoted string, an int, True, False, None, "
                "or a member of a registered Enum)",
                unknown=owner or text,
            )
        raise TypeTextError(f"expected a literal value, found `{text}`")


def _unquote(text: str) -> str:
    body = text[1:-1]
    out: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        if char != "\\":
            out.append(char)
            index += 1
            continue
        escape = body[index + 1]
        if escape in _ESCAPES:
            out.append(_ESCAPES[escape])
            index += 2
        elif escape == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", body[index + 2 : index + 6]):
            out.append(chr(int(body[index + 2 : index + 6], 16)))
            index += 6
        else:
            raise TypeTextError(f"unknown escape `\\{escape}` in {text}")
    return "".join(out)


def parse_type(text: str, registry: Registry, *, max_depth: int = 32) -> object:
    """The annotation a type expression names.

    Raises:
        TypeTextError: for a syntax error or an unregistered name.
    """
    parser = _Parser(text, registry.types, max_depth)
    if not parser.tokens:
        raise TypeTextError("empty type expression")
    annotation = parser.expression(0)
    leftover = parser.peek()
    if leftover is not None:
        raise TypeTextError(f"unexpected `{leftover[1]}` after the type")
    return annotation


def _quote(value: str) -> str:
    out = ["'"]
    for char in value:
        if char in "\\'":
            out.append("\\" + char)
        elif char in "\n\t\r":
            out.append(json.dumps(char)[1:-1])
        elif not char.isprintable() and ord(char) <= 0xFFFF:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    out.append("'")
    return "".join(out)


def write_type(annotation: object, registry: Registry) -> str:
    """The type expression for ``annotation``, through the registry's names.

    Raises:
        TypeTextError: naming the first part that is not registered (``unknown``).
    """
    if annotation is None:
        return "None"
    name = registry._types.name_of(annotation)
    if name is not None:
        return name
    origin = typing.get_origin(annotation)
    arguments = typing.get_args(annotation)
    if origin in _UNIONS:
        return " | ".join(write_type(member, registry) for member in arguments)
    if origin is Literal:
        return "Literal[" + ", ".join(_write_literal(value, registry) for value in arguments) + "]"
    if origin is not None and origin is not typing.Annotated and arguments:
        head = write_type(origin, registry)
        written = ["..." if item is Ellipsis else write_type(item, registry) for item in arguments]
        return f"{head}[{', '.join(written)}]"
    shown = type_name(annotation, qualified=True)
    if origin is typing.Annotated:
        shown = f"Annotated[{shown}, ...]"
    raise TypeTextError(f"type `{shown}` is not registered", unknown=shown)


def _write_literal(value: object, registry: Registry) -> str:
    if isinstance(value, enum.Enum):
        return f"{write_type(type(value), registry)}.{value.name}"
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _quote(value)
    raise TypeTextError(f"literal value {value!r} has no spec form", unknown=repr(value))


def label_key(label: object) -> str:
    """How a route label is written as a key of a spec's ``routes``.

    Strings as themselves, Enum members by name, ``true``/``false``/``null`` and ints in
    JSON spelling.
    """
    if isinstance(label, enum.Enum):
        return label.name
    if label is None:
        return "null"
    if isinstance(label, bool):
        return "true" if label else "false"
    return str(label)
