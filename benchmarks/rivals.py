"""Which other engines are installed (the ``bench`` extra): each is measured only if so."""

from __future__ import annotations

import importlib.util

__all__ = ["installed"]


def installed(module: str) -> bool:
    """Whether ``module`` (``langgraph``, ``pydantic_graph``) can be imported."""
    return importlib.util.find_spec(module) is not None
