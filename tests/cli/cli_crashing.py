"""A module that raises an ordinary exception while being imported."""

from __future__ import annotations


def _load_settings() -> dict[str, str]:
    raise RuntimeError("settings file is missing")


SETTINGS = _load_settings()
