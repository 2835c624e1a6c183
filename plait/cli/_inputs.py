"""Read ``--input``: parse its JSON and decode each value to its input's declared type."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from plait.cli._usage import CliError

if TYPE_CHECKING:
    from plait.graphs import Graph
    from plait.nodes import InputError

__all__ = ["inputs_problem", "parse_inputs"]


def _reject_constant(name: str) -> object:
    raise ValueError(f"`{name}` is not JSON")


_JSON_KINDS: dict[type, str] = {
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}


def _short_json(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "..."


def _source(raw: str) -> str:
    return f"input file `{raw[1:]}`" if raw.startswith("@") else "--input"


def _takes(graph: Graph[object]) -> str:
    from plait.nodes import type_name

    signature = ", ".join(f"`{name}: {type_name(tp)}`" for name, tp in graph.inputs.items())
    return f"takes {signature or 'no inputs'}"


def inputs_problem(raw: str, graph: Graph[object], error: InputError) -> str:
    """The one line for inputs the engine's check rejected (named as the user gave them)."""
    return f"{_source(raw)} does not fit graph `{graph.name}`: {'; '.join(error.problems)}"


def parse_inputs(raw: str, graph: Graph[object]) -> dict[str, object]:
    """Read ``--input`` (JSON text or ``@file``) and decode each value to its input's type.

    Only the JSON is checked here: missing and unknown names are left to the engine's
    input check (see ``inputs_problem``); an unknown name keeps its JSON value.

    Raises:
        CliError: code 2 when the text or file is not a JSON object, or holds values
            that cannot be decoded to their inputs' types.
    """
    from plait.nodes import from_jsonable, type_name

    source = _source(raw)
    if raw.startswith("@"):
        path = raw[1:]
        if not path:
            raise CliError("--input @FILE needs a file path after `@`, got just `@`")
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise CliError(f"{source} not found (from `--input @{path}`)") from None
        except UnicodeDecodeError as error:
            raise CliError(f"{source} is not UTF-8 text: {error.reason}") from None
        except OSError as error:
            raise CliError(f"cannot read {source}: {error.strerror or error}") from None
    else:
        text = raw
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise CliError(
            f"{source} is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    except ValueError as error:
        raise CliError(f"{source} is not valid JSON: {error}") from None

    if not isinstance(data, dict):
        kind = _JSON_KINDS.get(type(data), type(data).__name__)
        raise CliError(
            f"{source} must be a JSON object of input names to values (graph `{graph.name}` "
            f"{_takes(graph)}), "
            f"got {kind}: {_short_json(data)}"
        )

    problems: list[str] = []
    decoded: dict[str, object] = {}
    for name, value in data.items():
        annotation = graph.inputs.get(name)
        if annotation is None:
            decoded[name] = value
            continue
        try:
            decoded[name] = from_jsonable(annotation, value)
        except ValueError as error:
            reason = str(error).removesuffix(" at `value`")
            problems.append(
                f"input `{name}` expects `{type_name(annotation)}`, got "
                f"{_short_json(value)} ({reason})"
            )
    if problems:
        raise CliError(
            f"{source} does not fit graph `{graph.name}`: {'; '.join(problems)} "
            f"(the graph {_takes(graph)})"
        )
    return decoded
