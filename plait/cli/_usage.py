"""How the ``plait`` command ends early: a usage or load error with its exit code."""

from __future__ import annotations

__all__ = ["INTERRUPTED", "RUN_FAILED", "USAGE_ERROR", "CliError", "checked_run_id"]

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
