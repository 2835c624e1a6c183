"""Everything the CLI prints passes through here: configured secrets come out masked.

The last line of defence: the provider boundary, the checkpoint encoder and the trace
encoder already mask the secrets they know, but a command's output (``--json``, log lines,
``plait runs show``, an error) is masked once more with every secret the configuration
and the environment hold, whichever path the text took to get there.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from plait.nodes import Secrets

__all__ = ["MaskedStream", "known_secrets", "masked_output"]


class MaskedStream:
    """A text stream that masks ``secrets`` in each write to ``stream``; the rest of the
    stream (``isatty``, ``fileno``, ``flush``, ...) is the stream's own."""

    def __init__(self, stream: TextIO, secrets: Secrets) -> None:
        self._stream = stream
        self._secrets = secrets

    def write(self, text: str) -> int:
        self._stream.write(self._secrets.mask(text))
        return len(text)

    def writelines(self, lines: list[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


def known_secrets() -> Secrets:
    """The secrets of the configuration in the current directory and of the environment
    (its secret-named variables); the environment's alone when the configuration is
    broken (the command reports that itself)."""
    from plait.nodes import ConfigError, Secrets, load_config

    try:
        return load_config(".", os.environ).secrets
    except ConfigError:
        return Secrets.of_environment(os.environ)


@contextmanager
def masked_output(secrets: Secrets | None = None) -> Iterator[None]:
    """Mask ``secrets`` (default: the known secrets) in everything written to stdout and
    stderr meanwhile."""
    if secrets is None:
        secrets = known_secrets()
    if not secrets:
        yield
        return
    out, err = sys.stdout, sys.stderr
    sys.stdout = MaskedStream(out, secrets)
    sys.stderr = MaskedStream(err, secrets)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err
