"""The one check of a run's inputs, made before the run starts or is recorded."""

from __future__ import annotations

from collections.abc import Mapping

from plait.graphs import Graph
from plait.nodes import InputError, check_value, type_name

__all__ = ["check_inputs"]


def check_inputs(graph: Graph[object], inputs: Mapping[str, object]) -> None:
    """Check that ``inputs`` names exactly the graph's inputs, with fitting values.

    Raises:
        InputError: listing every missing, unknown or ill-typed input.
    """
    problems: list[str] = []
    for name, annotation in graph.inputs.items():
        if name not in inputs:
            problems.append(f"missing input `{name}` (`{type_name(annotation)}`)")
        else:
            why = check_value(annotation, inputs[name])
            if why is not None:
                problems.append(f"input `{name}` expects `{type_name(annotation)}`: {why}")
    for name in inputs:
        if name not in graph.inputs:
            known = ", ".join(f"`{known}`" for known in graph.inputs) or "none"
            problems.append(f"unknown input `{name}` (the graph's inputs: {known})")
    if problems:
        raise InputError(graph.name, problems)
