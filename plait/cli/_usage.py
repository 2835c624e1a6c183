"""How the ``plait`` command ends early: a usage or load error with its exit code, and
the argument types that refuse bad numbers in one line."""

from __future__ import annotations

import argparse
import math

__all__ = [
    "INTERRUPTED",
    "RUN_FAILED",
    "USAGE_ERROR",
    "CliError",
    "checked_run_id",
    "positive_int",
    "positive_seconds",
]

USAGE_ERROR = 2
RUN_FAILED = 1
INTERRUPTED = 130


class CliError(Exception):
    """Ends the command: ``message`` goes to stderr after ``plait: error:``."""

    def __init__(self, message: str, code: int = USAGE_ERROR) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def checked_run_id(text: str) -> str:
    """``text`` as a run id, refused when empty or holding a control character.

    A run id is echoed on the terminal and pasted into commands: an escape sequence or a
    newline in one could redraw the screen or split a hint in two.

    Raises:
        CliError: code 2 naming the offending character.
    """
    bad = next((char for char in text if not char.isprintable()), None)
    if bad is not None:
        raise CliError(
            f"run id {text!r} contains the control character {bad!r}; a run id is printable "
            "text, as `plait runs` lists it"
        )
    if not text.strip():
        raise CliError("the run id is empty; `plait runs` lists the stored runs' ids")
    return text


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value
