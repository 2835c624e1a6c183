"""The process's peak resident set size, resettable on Linux so each engine gets its own."""

from __future__ import annotations

import contextlib
import resource
import sys
from pathlib import Path

__all__ = ["peak_rss_mb", "reset_peak_rss"]

_CLEAR_REFS = Path("/proc/self/clear_refs")


def reset_peak_rss() -> None:
    """Lower the peak to the current RSS where the kernel allows it (else a no-op)."""
    with contextlib.suppress(OSError):
        _CLEAR_REFS.write_text("5")


def peak_rss_mb() -> float:
    """``ru_maxrss`` of this process in MiB (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return peak / 1024 if sys.platform == "darwin" else peak
