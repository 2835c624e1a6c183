"""The ``plait resume ...`` line the CLI prints when a run waits or is interrupted.

The line pastes into a shell as is: every argument is quoted, it names the graph with
``--graph`` (and the store, a spec's ``--import``s and the ``--executor``, when the command
was given them),
and a waiting run's line spells out the shape of each expected answer, with a
``<type>`` placeholder wherever a value has to be filled in.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["ResumeHint", "answer_shape"]

_MAX_DEPTH = 6


@dataclass(frozen=True, slots=True)
class ResumeHint:
    """What ``plait resume`` needs besides the run id: the graph, the store, the imports."""

    target: str
    """``module:attribute`` or a spec file, as ``--graph`` takes it."""
    store: str | None = None
    """The ``--store`` the command was given (None: the configured default)."""
    imports: Sequence[str] = ()
    """The ``--import``s the command was given."""
    executor: str | None = None
    """The ``--executor`` the command was given: the resumed run's attempts go there too."""

    def command(self, run_id: str, answers: Mapping[str, str] | None = None) -> str:
        """The shell line resuming ``run_id``; ``answers`` maps nodes to answer shapes."""
        words = ["plait", "resume", run_id, "--graph", self.target]
        if self.store is not None:
            words += ["--store", self.store]
        for entry in self.imports:
            words += ["--import", entry]
        if self.executor is not None:
            words += ["--executor", self.executor]
        if answers:
            fields = ", ".join(f"{json.dumps(node)}: {shape}" for node, shape in answers.items())
            words += ["--input", "{" + fields + "}"]
        return shlex.join(words)


def answer_shape(schema: object) -> str:
    """The JSON an answer of ``schema`` (a JSON Schema) takes, with ``<type>`` placeholders.

    ``{"approved": <boolean>, "note": ""}``: a required field shows its type, a field
    with a default shows the default.
    """
    root = schema if isinstance(schema, Mapping) else {}
    return _shape(root, root, 0)


def _resolve(schema: Mapping[str, object], root: Mapping[str, object]) -> Mapping[str, object]:
    ref = schema.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return schema
    found: object = root
    for part in ref[2:].split("/"):
        found = found.get(part) if isinstance(found, Mapping) else None
    return found if isinstance(found, Mapping) else {}


def _shape(schema: Mapping[str, object], root: Mapping[str, object], depth: int) -> str:
    schema = _resolve(schema, root)
    if depth > _MAX_DEPTH:
        return "<...>"
    if "const" in schema:
        return json.dumps(schema["const"])
    choices = schema.get("enum")
    if isinstance(choices, list) and choices:
        return "<" + " | ".join(json.dumps(choice) for choice in choices) + ">"
    options = schema.get("anyOf", schema.get("oneOf"))
    if isinstance(options, list) and options:
        shapes = [_shape(item, root, depth + 1) for item in options if isinstance(item, Mapping)]
        return "<" + " | ".join(shape.strip("<>") for shape in shapes) + ">"
    kind = schema.get("type")
    if isinstance(kind, list):
        return "<" + " | ".join(str(item) for item in kind) + ">"
    if kind == "object" or "properties" in schema:
        return _object_shape(schema, root, depth)
    if kind == "array":
        items = schema.get("items")
        item = _shape(items, root, depth + 1) if isinstance(items, Mapping) else "<any>"
        return f"[{item}, ...]"
    if kind == "null":
        return "null"
    return f"<{kind}>" if isinstance(kind, str) else "<any JSON value>"


def _object_shape(schema: Mapping[str, object], root: Mapping[str, object], depth: int) -> str:
    properties = schema.get("properties")
    if not isinstance(properties, Mapping) or not properties:
        return "{<key>: <value>, ...}"
    required = schema.get("required")
    needed = set(required) if isinstance(required, list) else set()
    fields = []
    for name, field in properties.items():
        field = field if isinstance(field, Mapping) else {}
        if name not in needed and "default" in field:
            shape = json.dumps(field["default"])
        else:
            shape = _shape(field, root, depth + 1)
        fields.append(f"{json.dumps(name)}: {shape}")
    return "{" + ", ".join(fields) + "}"
