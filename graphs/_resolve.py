"""References (``node.field``, ``inputs.name``, ``node.input``) resolved against a definition."""

from __future__ import annotations

from typing import NamedTuple

from plait.graphs._definition import Definition, ProblemSink
from plait.graphs._graph import INPUTS, Getter
from plait.nodes import close_matches, field_getter, field_types, is_assignable, type_name

__all__ = [
    "Source",
    "did_you_mean",
    "resolve_source",
    "resolve_target",
    "type_hint",
    "walk_fields",
]


class Source(NamedTuple):
    """A resolved edge source: the node (or ``inputs``), the field path, its type, its getter."""

    node: str
    field: str | None
    type: object
    getter: Getter | None


def did_you_mean(name: str, candidates: list[str]) -> str:
    """A hint naming the candidates close to ``name``, else a few known ones."""
    matches = close_matches(name, candidates)
    if matches:
        return "did you mean " + " or ".join(f"`{match}`" for match in matches) + "?"
    if candidates:
        return "known: " + ", ".join(f"`{candidate}`" for candidate in sorted(candidates)[:8])
    return ""


def _compose(first: Getter | None, second: Getter) -> Getter:
    if first is None:
        return second
    return lambda value: second(first(value))


def walk_fields(
    owner: str, start: object, path: str, location: str, report: ProblemSink
) -> tuple[object, Getter | None] | None:
    """Follow ``path`` (``a.b``) through the fields of ``start``; None when it breaks."""
    current, getter = start, None
    for segment in path.split("."):
        fields = field_types(current)
        if fields is None:
            report(
                "unknown-field",
                location,
                f"`{owner}` is `{type_name(current)}`, which has no fields to select "
                f"(`{segment}` asked for)",
                f"connect `{owner.split('.', 1)[0]}` itself, without `.{segment}`",
            )
            return None
        if segment not in fields:
            report(
                "unknown-field",
                location,
                f"`{type_name(current)}` has no field `{segment}`",
                did_you_mean(segment, list(fields)),
            )
            return None
        getter = _compose(getter, field_getter(current, segment))
        current = fields[segment]
        owner = f"{owner}.{segment}"
    return current, getter


def _resolve_input(
    definition: Definition, path: str, location: str, report: ProblemSink
) -> Source | None:
    input_name, _, rest = path.partition(".")
    if input_name not in definition.inputs:
        report(
            "unknown-input",
            location,
            f"graph `{definition.name}` has no input `{input_name}`",
            did_you_mean(input_name, list(definition.inputs))
            or "declare it: GraphBuilder(..., inputs={name: type})",
        )
        return None
    start: object = definition.inputs[input_name]
    if not rest:
        return Source(INPUTS, input_name, start, None)
    walked = walk_fields(f"inputs.{input_name}", start, rest, location, report)
    return None if walked is None else Source(INPUTS, path, *walked)


def resolve_source(
    definition: Definition, ref: str, location: str, report: ProblemSink
) -> Source | None:
    """The source a reference names, or None after reporting why it names none."""
    head, _, path = ref.partition(".")
    if head == INPUTS:
        return _resolve_input(definition, path, location, report)
    node = definition.nodes.get(head)
    if node is None:
        report(
            "unknown-node",
            location,
            f"source `{head}` is not a node of graph `{definition.name}`",
            did_you_mean(head, list(definition.nodes)) or "add() the node first",
        )
        return None
    if not path:
        return Source(head, None, node.output, None)
    walked = walk_fields(head, node.output, path, location, report)
    return None if walked is None else Source(head, path, *walked)


def resolve_target(
    definition: Definition, ref: str, location: str, report: ProblemSink
) -> tuple[str, str] | None:
    """(node, input) of a target reference, or None after reporting why it names none."""
    head, _, input_name = ref.partition(".")
    node = definition.nodes.get(head)
    if node is None:
        report(
            "unknown-node",
            location,
            f"target `{head}` is not a node of graph `{definition.name}`",
            did_you_mean(head, list(definition.nodes)) or "add() the node first",
        )
        return None
    names = [item.name for item in node.inputs]
    if not input_name:
        if len(names) == 1:
            return head, names[0]
        report(
            "ambiguous-target",
            location,
            f"`{head}` has {len(names)} inputs, so the target must name one",
            "write the target as " + " or ".join(f"`{head}.{n}`" for n in names[:3])
            if names
            else f"`{head}` takes no inputs; remove the edge",
        )
        return None
    if node.input(input_name) is None:
        report(
            "unknown-input",
            location,
            f"node `{head}` has no input `{input_name}`",
            did_you_mean(input_name, names) or f"`{head}` takes no inputs",
        )
        return None
    return head, input_name


def type_hint(source: Source, wanted: object) -> str:
    """Suggest a field of the source whose type fits, or an adapter."""
    fields = field_types(source.type) or {}
    fitting = [name for name, tp in fields.items() if is_assignable(tp, wanted)]
    ref = source.node if source.field is None else f"{source.node}.{source.field}"
    if fitting:
        options = " or ".join(f"`{ref}.{name}`" for name in fitting[:3])
        return f"select a field: {options}"
    return f"add an adapter node that turns `{type_name(source.type)}` into `{type_name(wanted)}`"
