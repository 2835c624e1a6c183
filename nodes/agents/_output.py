"""What an agent says and reads: templates filled from inputs, and typed output parsing."""

from __future__ import annotations

import functools
import json
import re
import string
from collections.abc import Mapping
from typing import Any

from plait.nodes._type_names import type_name
from plait.nodes._values import from_jsonable, json_schema, parse_json, to_jsonable
from plait.nodes.llm._model import OutputSchema

__all__ = ["OutputFormat", "as_text", "output_format", "render", "template_fields"]

_FENCE = re.compile(r"^\s*```[a-zA-Z]*\s*\n(.*?)\n\s*```\s*$", re.DOTALL)
_SCHEMA_NAME = re.compile(r"[^a-zA-Z0-9_-]+")


def as_text(value: object) -> str:
    """A value as prompt text: strings as they are, anything else as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(to_jsonable(value), ensure_ascii=False)


class _Rendered:
    """A value inside a template: ``{ticket}``, ``{ticket.title}``, ``{items[0]}``."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __format__(self, spec: str) -> str:
        return format(as_text(self.value), spec)

    def __getattr__(self, name: str) -> _Rendered:
        value = self.value
        if isinstance(value, Mapping) and name in value:
            return _Rendered(value[name])
        return _Rendered(getattr(value, name))

    def __getitem__(self, key: Any) -> _Rendered:
        return _Rendered(self.value[key])  # type: ignore[index]


def template_fields(template: str) -> list[str]:
    """The input names a ``{name}`` template refers to, in order.

    Raises:
        ValueError: for a malformed template (an unmatched ``{``; write ``{{`` for a
            literal brace).
    """
    names: list[str] = []
    for _, field, _, _ in string.Formatter().parse(template):
        if field is None:
            continue
        head = re.split(r"[.\[]", field, maxsplit=1)[0]
        if not head or head.isdigit():
            raise ValueError(f"`{{{field}}}` does not name an input")
        if head not in names:
            names.append(head)
    return names


def render(template: str, values: Mapping[str, object]) -> str:
    """``template`` with each ``{name}`` replaced by input ``name`` as text."""
    return template.format_map({name: _Rendered(value) for name, value in values.items()})


def _strip_fence(text: str) -> str:
    found = _FENCE.match(text)
    return found.group(1) if found else text.strip()


def output_format(annotation: object) -> OutputFormat:
    """The ``OutputFormat`` of ``annotation``, built once per type: its JSON schema costs
    about half a millisecond to build, and an agent asks for it on every call."""
    try:
        return _cached_format(annotation)
    except TypeError:  # an unhashable annotation: build one uncached
        return OutputFormat(annotation)


@functools.lru_cache(maxsize=256)
def _cached_format(annotation: object) -> OutputFormat:
    return OutputFormat(annotation)


class OutputFormat:
    """How an agent asks for its output type and reads the reply into it.

    ``str`` output is the reply text. Any other type is asked for as JSON through the
    provider's structured output; a type whose schema is not an object (a router's
    ``Literal`` labels, a list) is wrapped as ``{"value": ...}``. Reading is lenient: a
    fenced code block, a bare JSON value, or a bare label are all accepted.
    """

    def __init__(self, annotation: object) -> None:
        self.annotation = annotation
        self.is_text = annotation is str
        self.wrapped = False
        self.schema: OutputSchema | None = None
        if self.is_text:
            return
        schema = json_schema(annotation)
        if schema.get("type") != "object":
            self.wrapped = True
            definitions = schema.pop("$defs", None)
            schema = {
                "type": "object",
                "properties": {"value": schema},
                "required": ["value"],
                "additionalProperties": False,
            }
            if definitions is not None:
                schema["$defs"] = definitions
        name = _SCHEMA_NAME.sub("_", type_name(annotation)).strip("_")[:64] or "output"
        self.schema = OutputSchema(name, schema)

    @property
    def expected(self) -> str:
        """The output type's name, for messages."""
        return type_name(self.annotation)

    def parse(self, text: str) -> object:
        """The reply ``text`` as a value of the output type.

        Raises:
            ValueError: saying why the text does not fit.
        """
        if self.is_text:
            return text
        body = _strip_fence(text)
        if not self.wrapped:
            return parse_json(self.annotation, body)
        try:
            data = json.loads(body)
        except json.JSONDecodeError:
            return from_jsonable(self.annotation, body)  # a bare label, unquoted
        if isinstance(data, dict) and set(data) == {"value"}:
            data = data["value"]
        return from_jsonable(self.annotation, data)

    def repair_prompt(self, reason: str) -> str:
        """The message asking the model to correct a reply that did not fit."""
        schema = json.dumps(self.schema.schema if self.schema else {}, sort_keys=True)
        return (
            f"Your reply does not match the required output ({self.expected}): {reason}. "
            f"Reply again with only a JSON value matching this JSON Schema: {schema}"
        )
