"""Peak RSS of one engine alone: a fresh process that imports it, builds W1 and runs it once.

The table's in-process column shares one interpreter between engines (every library
imported, every graph built); this is what a program using only that engine would pay.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

from harness import Trial

__all__ = ["with_fresh_peak"]

_HERE = Path(__file__).resolve().parent
_STATUS = Path("/proc/self/status")

_SCRIPT = """
import sys
sys.path.insert(0, {here!r})
from pathlib import Path
import anyio
import {module} as engine

trial = engine.chain({n}, 7)
anyio.run(trial.run, backend="asyncio")
status = Path("/proc/self/status").read_text().splitlines()
print(next(line for line in status if line.startswith("VmHWM:")).split()[1])
"""


def fresh_peak_rss_mb(module: str, n: int) -> float | None:
    """VmHWM in MiB of a process running ``module.chain(n, 7)`` once; None off Linux.

    VmHWM rather than ``ru_maxrss``: Linux keeps ``ru_maxrss`` across exec, so a child
    would report this (larger) process's peak.
    """
    if not _STATUS.exists():
        return None
    code = _SCRIPT.format(here=str(_HERE), module=module, n=n)
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return int(completed.stdout.strip()) / 1024


def with_fresh_peak(trial: Trial, module: str, n: int) -> Trial:
    """``trial`` whose record also carries ``fresh_peak_rss_mb`` (on Linux)."""

    def extra() -> dict[str, float]:
        peak = fresh_peak_rss_mb(module, n)
        return {} if peak is None else {"fresh_peak_rss_mb": round(peak, 1)}

    return dataclasses.replace(trial, extra=extra)
