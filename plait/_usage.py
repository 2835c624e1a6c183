"""How the ``plait`` command ends early: a usage or load error with its exit code."""

from __future__ import annotations

__all__ = ["RUN_FAILED", "USAGE_ERROR", "CliError"]

USAGE_ERROR = 2
RUN_FAILED = 1


class CliError(Exception):
    """Ends the command: ``message`` goes to stderr after ``plait: error:``."""

    def __init__(self, message: str, code: int = USAGE_ERROR) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
