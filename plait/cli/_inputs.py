"""Read ``--input`` and convert each value to the graph input's declared type."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from plait.cli._usage import CliError

if TYPE_CHECKING:
    from plait.graphs import Graph

__all__ = ["parse_inputs"]


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


def parse_inputs(raw: str, graph: Graph[object]) -> dict[str, object]:
    """Read ``--input`` (JSON text or ``@file``) and convert each value to its input type.

    Raises:
        CliError: code 2 when the text or file is not a JSON object, names unknown
            inputs, misses some, or holds values that do not fit their types.
    """
    from plait.nodes import from_jsonable, type_name

    if raw.startswith("@"):
        path = raw[1:]
        if not path:
            raise CliError("--input @FILE needs a file path after `@`, got just `@`")
        source = f"input file `{path}`"
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise CliError(f"{source} not found (from `--input @{path}`)") from None
        except UnicodeDecodeError as error:
            raise CliError(f"{source} is not UTF-8 text: {error.reason}") from None
        except OSError as error:
            raise CliError(f"cannot read {source}: {error.strerror or error}") from None
    else:
        source, text = "--input", raw
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise CliError(
            f"{source} is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    except ValueError as error:
        raise CliError(f"{source} is not valid JSON: {error}") from None

    signature = ", ".join(f"`{name}: {type_name(tp)}`" for name, tp in graph.inputs.items())
    takes = f"takes {signature or 'no inputs'}"
    if not isinstance(data, dict):
        kind = _JSON_KINDS.get(type(data), type(data).__name__)
        raise CliError(
            f"{source} must be a JSON object of input names to values (graph `{graph.name}` "
            f"{takes}), "
            f"got {kind}: {_short_json(data)}"
        )

    problems: list[str] = []
    converted: dict[str, object] = {}
    for name, value in data.items():
        if name not in graph.inputs:
            problems.append(f"unknown input `{name}`")
            continue
        annotation = graph.inputs[name]
        try:
            converted[name] = from_jsonable(annotation, value)
        except ValueError as error:
            reason = str(error).removesuffix(" at `value`")
            problems.append(
                f"input `{name}` expects `{type_name(annotation)}`, got "
                f"{_short_json(value)} ({reason})"
            )
    problems.extend(
        f"missing input `{name}` (`{type_name(tp)}`)"
        for name, tp in graph.inputs.items()
        if name not in data
    )
    if problems:
        raise CliError(
            f"{source} does not fit graph `{graph.name}`: {'; '.join(problems)} (the graph {takes})"
        )
    return converted
