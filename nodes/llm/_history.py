"""Saving and loading conversation histories as JSON or YAML files (tool calls kept)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from plait.nodes.llm._messages import Message
from plait.nodes.llm._yaml import dump_yaml, load_yaml

__all__ = ["load_history", "save_history"]

_YAML_SUFFIXES = (".yaml", ".yml")


def save_history(path: str | Path, messages: Iterable[Message]) -> Path:
    """Write ``messages`` to ``path`` as ``{"messages": [...]}``: YAML for ``.yaml``/``.yml``,
    JSON otherwise. Returns the path written.
    """
    target = Path(path)
    data = {"messages": [message.to_dict() for message in messages]}
    if target.suffix.lower() in _YAML_SUFFIXES:
        text = dump_yaml(data)
    else:
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    target.write_text(text, encoding="utf-8")
    return target


def load_history(path: str | Path) -> tuple[Message, ...]:
    """Read messages saved by ``save_history`` (or fast-agent's ``.json`` histories).

    The file holds ``{"messages": [...]}`` or just the list.

    Raises:
        ValueError: naming the file and the path inside it of the first problem.
    """
    source = Path(path)
    text = source.read_text(encoding="utf-8")
    if source.suffix.lower() in _YAML_SUFFIXES:
        data = load_yaml(text, source=str(source))
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"{source}: invalid JSON: {error}") from None
    if isinstance(data, Mapping):
        data = data.get("messages")
    if not isinstance(data, list):
        raise ValueError(f'{source}: expected {{"messages": [...]}} or a list of messages')
    try:
        return tuple(
            Message.from_dict(item, where=f"$.messages[{index}]") for index, item in enumerate(data)
        )
    except ValueError as error:
        raise ValueError(f"{source}: {error}") from None
