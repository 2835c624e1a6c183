"""The error tree drawn in `PlaitError`'s docstring is the real one."""

from __future__ import annotations

import importlib
import pkgutil
import re

import plait
import plait.nodes._errors as errors_module
from plait.nodes import PlaitError

DRAWN = re.compile(r"^(?P<indent>[ │├└─]*)(?P<name>[A-Z]\w*Error)\b(?: \((?P<bases>[^)]*)\))?")


def _drawn_tree() -> dict[str, str]:
    """Each class drawn in the docstring -> its parent in the drawing."""
    assert errors_module.__doc__ is not None
    parents: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    for line in errors_module.__doc__.splitlines():
        match = DRAWN.match(line[4:] if line.startswith("    ") else "")
        if match is None:
            continue
        name, depth = match["name"], len(match["indent"])
        if match["bases"]:
            parents[name] = match["bases"].split(",")[0].strip()
            continue
        while stack and stack[-1][0] >= depth:
            stack.pop()
        if stack:
            parents[name] = stack[-1][1]
        stack.append((depth, name))
    return parents


def _real_tree() -> dict[str, str]:
    for module in pkgutil.walk_packages(plait.__path__, "plait."):
        if not module.name.endswith("__main__"):  # running it parses the command line
            importlib.import_module(module.name)
    parents: dict[str, str] = {}
    pending = [PlaitError]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            if not sub.__name__.startswith("_"):
                parents[sub.__name__] = next(
                    base.__name__ for base in sub.__bases__ if issubclass(base, PlaitError)
                )
            pending.append(sub)
    return parents


def test_the_drawn_error_tree_is_the_real_one() -> None:
    assert _drawn_tree() == _real_tree()
