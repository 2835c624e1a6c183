"""Checking spec data against the format's models, with pydantic's errors as spec problems.

Every structural problem is reported at once, each at its JSON path, in plait's words:
``[unknown-field] $.nodes[3].retyr: `retyr` is not a field of a function node (did you
mean `retry`?)``.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping, Sequence
from types import NoneType, UnionType

from pydantic import BaseModel, ValidationError

from plait.graphs.spec._errors import MAX_PROBLEMS, Path, SpecError, json_path, shown
from plait.graphs.spec._limits import SpecLimits
from plait.graphs.spec._models import PATTERN_MEANINGS, DocumentSpec, NodeSpec
from plait.nodes import Problem, close_matches

__all__ = ["FORMAT_VERSION", "json_kind", "node_kinds", "parse_document"]

FORMAT_VERSION = "1"

_NOUNS = {"DocumentSpec": "the spec", "GraphSpec": "a graph", "RetrySpec": "a retry policy"}
_BOUNDS = {"ge": "at least", "gt": "greater than", "le": "at most", "lt": "less than"}
_EXPECTED = {
    "int_type": "an integer",
    "float_type": "a number",
    "string_type": "a string",
    "bool_type": "true or false",
    "list_type": "an array",
    "dict_type": "an object",
    "model_type": "an object",
}


def json_kind(value: object) -> str:
    """``an object``, ``an array``, ``a string``, ... for a parsed JSON value."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return f'the string "{shown(value, 30)}"' if value else "an empty string"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return f"a number ({value})"


def node_kinds() -> list[str]:
    """The node kinds format 1 knows, sorted."""
    members = typing.get_args(typing.get_args(NodeSpec)[0])
    return sorted(typing.get_args(member.model_fields["kind"].annotation)[0] for member in members)


def _strip(annotation: object) -> object:
    """The annotation without ``Annotated`` and without ``| None``."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, UnionType):
            members = [a for a in typing.get_args(annotation) if a is not NoneType]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def _model(annotation: object) -> type[BaseModel] | None:
    return (
        annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
    )


def _pick(union: object, segment: str | int) -> object:
    """The union member a pydantic loc segment names (a tag, or a type label)."""
    members = [a for a in typing.get_args(union) if a is not NoneType]
    for member in members:
        model = _model(member)
        kind = model.model_fields.get("kind") if model is not None else None
        if kind is not None and typing.get_args(kind.annotation) == (segment,):
            return member
    wanted = list if str(segment).startswith("list[") else None
    for member in members:
        if wanted is not None and typing.get_origin(_strip(member)) is wanted:
            return member
    return members[0] if members else None


class _Located:
    """A pydantic error's loc as a spec path, plus what the walk learnt on the way."""

    def __init__(self, loc: Sequence[str | int]) -> None:
        self.path: list[str | int] = []
        self.model: type[BaseModel] | None = None
        """The model of the object that holds the last segment."""
        self.union_at: Path | None = None
        """The path at which a union member was chosen, if one was."""
        current: object = DocumentSpec
        for segment in loc:
            if segment == "[key]":  # the error is in the key itself, already on the path
                continue
            current = _strip(current)
            model = _model(current)
            origin = typing.get_origin(current)
            if model is not None:
                self.model = model
                self.path.append(segment)
                field = model.model_fields.get(str(segment))
                current = field.annotation if field is not None else None
            elif origin in (typing.Union, UnionType):
                self.union_at = tuple(self.path)
                current = _pick(current, segment)
            elif origin is list:
                self.path.append(segment)
                current = typing.get_args(current)[0]
            elif origin is dict:
                self.path.append(segment)
                current = typing.get_args(current)[1]
            else:
                self.path.append(segment)
                current = None


def _noun(model: type[BaseModel] | None) -> str:
    if model is None:
        return "this object"
    kind = model.model_fields.get("kind")
    if kind is not None:
        return f"a `{typing.get_args(kind.annotation)[0]}` node"
    return _NOUNS.get(model.__name__, "this object")


def _did_you_mean(name: str, candidates: Sequence[str], known: str) -> str:
    matches = close_matches(name, candidates)
    if matches:
        return "did you mean " + " or ".join(f"`{match}`" for match in matches) + "?"
    return f"{known}: " + ", ".join(f"`{item}`" for item in candidates)


def _problem(error: Mapping[str, typing.Any], located: _Located) -> Problem:
    kind = str(error["type"])
    value = error.get("input")
    context = error.get("ctx") or {}
    path = tuple(located.path)
    where = json_path(path)
    if kind == "missing":
        field = str(path[-1]) if path else ""
        info = located.model.model_fields.get(field) if located.model is not None else None
        hint = info.description or "" if info is not None else ""
        return Problem("missing-field", where, f"`{field}` is required", hint)
    if kind == "extra_forbidden":
        field = str(path[-1]) if path else ""
        fields = list(located.model.model_fields) if located.model is not None else []
        return Problem(
            "unknown-field",
            where,
            f"`{shown(field)}` is not a field of {_noun(located.model)}",
            _did_you_mean(field, fields, "its fields are"),
        )
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        kinds = node_kinds()
        where = json_path((*path, "kind"))
        if kind == "union_tag_not_found":
            one_of = ", ".join(f"`{item}`" for item in kinds)
            return Problem("missing-field", where, "`kind` is required", f"one of {one_of}")
        tag = str(context.get("tag", ""))
        return Problem(
            "unknown-kind",
            where,
            f"`{shown(tag)}` is not a node kind",
            _did_you_mean(tag, kinds, "the kinds are"),
        )
    if kind == "literal_error":
        expected = str(context.get("expected", ""))
        options = [item.strip(" '") for item in expected.replace(" or ", ", ").split(",")]
        hint = _did_you_mean(value, options, "use") if isinstance(value, str) else ""
        return Problem("invalid-value", where, f"expected {expected}, got {json_kind(value)}", hint)
    if kind == "string_pattern_mismatch":
        meaning = PATTERN_MEANINGS.get(str(context.get("pattern")), "it has the wrong form")
        return Problem("invalid-value", where, f"`{shown(value)}` is not valid: {meaning}")
    if kind in _EXPECTED:
        return Problem(
            "invalid-value", where, f"expected {_EXPECTED[kind]}, got {json_kind(value)}"
        )
    for bound, words in _BOUNDS.items():
        if bound in context:
            return Problem("invalid-value", where, f"must be {words} {context[bound]}, got {value}")
    if kind == "too_short":
        return Problem("invalid-value", where, f"needs at least {context.get('min_length')} item")
    return Problem("invalid-value", where, f"{error['msg']}, got {json_kind(value)}")


def _translate(errors: Sequence[Mapping[str, typing.Any]]) -> list[Problem]:
    located = [(error, _Located(error["loc"])) for error in errors]
    # A value that fits no member of a union gets one error per member: keep the errors of
    # the member it was meant for (any error deeper than the union), else merge the rest.
    deeper = {
        item.union_at
        for error, item in located
        if item.union_at is not None
        and (len(item.path) > len(item.union_at) or error["type"] not in _EXPECTED)
    }
    problems: list[Problem] = []
    merged: dict[str, list[str]] = {}
    for error, item in located:
        plain = error["type"] in _EXPECTED and item.union_at is not None
        if plain and tuple(item.path) == item.union_at:
            if item.union_at in deeper:
                continue
            expected = merged.setdefault(json_path(item.path), [])
            if not expected:
                problems.append(_problem(error, item))
            expected.append(_EXPECTED[error["type"]])
            continue
        problems.append(_problem(error, item))
    for index, problem in enumerate(problems):
        options = merged.get(problem.location)
        if options and len(options) > 1:
            got = problem.message.partition(", got ")[2]
            unique = list(dict.fromkeys(options))
            if "a number" in unique and "an integer" in unique:
                unique.remove("an integer")
            problems[index] = Problem(
                problem.code, problem.location, f"expected {' or '.join(unique)}, got {got}"
            )
    return problems[:MAX_PROBLEMS]


def _count_nodes(data: Mapping[str, object]) -> int:
    nodes = data.get("nodes")
    count = len(nodes) if isinstance(nodes, list) else 0
    graphs = data.get("graphs")
    if isinstance(graphs, dict):
        for graph in graphs.values():
            nodes = graph.get("nodes") if isinstance(graph, dict) else None
            count += len(nodes) if isinstance(nodes, list) else 1
    return count


def _version_problem(data: Mapping[str, object]) -> Problem | None:
    if "plait" not in data:
        return Problem(
            "missing-field",
            "$.plait",
            "`plait`, the format version, is required",
            f'add "plait": "{FORMAT_VERSION}" at the top',
        )
    version = data["plait"]
    if version == FORMAT_VERSION and isinstance(version, str):
        return None
    hint = (
        f'write it as the string "{FORMAT_VERSION}"'
        if str(version) == FORMAT_VERSION
        else f"this plait reads format {FORMAT_VERSION}; a newer plait may read this one"
    )
    return Problem(
        "unsupported-version", "$.plait", f"format version {shown(version)} is not supported", hint
    )


def parse_document(data: object, limits: SpecLimits, subject: str) -> DocumentSpec:
    """The validated document.

    Raises:
        SpecError: listing every structural problem, each at its JSON path.
    """
    if not isinstance(data, dict):
        raise SpecError(
            [Problem("invalid-value", "$", f"a spec is a JSON object, got {json_kind(data)}")],
            subject=subject,
        )
    version = _version_problem(data)
    if version is not None:
        raise SpecError([version], subject=subject)
    count = _count_nodes(data)
    if count > limits.max_nodes:
        raise SpecError(
            [
                Problem(
                    "too-many-nodes",
                    "$",
                    f"the spec has {count:,} nodes; the limit is {limits.max_nodes:,}",
                    "raise SpecLimits(max_nodes=...) if it is meant to be this big",
                )
            ],
            subject=subject,
        )
    try:
        return DocumentSpec.model_validate(data)
    except ValidationError as error:
        raise SpecError(_translate(error.errors(include_url=False)), subject=subject) from None
