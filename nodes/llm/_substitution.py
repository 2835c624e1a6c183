"""``${VAR}`` and ``${VAR:default}`` substitution in the strings of configuration data."""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["substitute"]

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?\}")


def substitute(data: object, env: Mapping[str, str], where: str, problems: list[str]) -> object:
    """Replace ``${VAR}`` / ``${VAR:default}`` in every string of ``data``."""
    if isinstance(data, str):

        def replace(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in env:
                return env[name]
            if default is not None:
                return default
            problems.append(
                f"{where}: `${{{name}}}` is not set (set {name}, or give a default: "
                f"`${{{name}:...}}`)"
            )
            return match.group(0)

        return _VARIABLE.sub(replace, data)
    if isinstance(data, dict):
        return {
            key: substitute(value, env, f"{where}.{key}", problems) for key, value in data.items()
        }
    if isinstance(data, list):
        return [substitute(item, env, f"{where}[{i}]", problems) for i, item in enumerate(data)]
    return data
