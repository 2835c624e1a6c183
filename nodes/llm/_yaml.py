"""YAML reading and writing (PyYAML's only home, imported on first use)."""

from __future__ import annotations

from collections.abc import Iterator

__all__ = ["dump_yaml", "load_yaml", "strings_in"]


def load_yaml(text: str, *, source: str) -> object:
    """Parse YAML ``text`` safely (plain data only, never Python objects).

    Raises:
        ValueError: naming ``source`` and the line of the syntax error.
    """
    try:
        import yaml
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(
            "reading YAML needs PyYAML: pip install 'plait[llm]' (or pip install pyyaml)"
        ) from error
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise ValueError(f"{source}: invalid YAML{where}: {problem}") from None


def dump_yaml(data: object) -> str:
    """Write plain data as block-style YAML, keys in the order given."""
    import yaml

    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)


def strings_in(data: object) -> Iterator[str]:
    """Every string in ``data`` (parsed YAML or JSON), at any depth."""
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for value in data.values():
            yield from strings_in(value)
    elif isinstance(data, list):
        for item in data:
            yield from strings_in(item)
