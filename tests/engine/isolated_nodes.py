"""Node functions for ``isolation="process"`` tests: importable by name, as the worker needs."""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path

from plait import node


@dataclasses.dataclass(frozen=True)
class Order:
    item: str
    quantity: int
    extra: dict[str, object]


@node(isolation="process")
def priced(order: Order, unit: float) -> dict[str, object]:
    """Runs in a subprocess: inputs and output cross as JSON."""
    print("noise on stdout never corrupts the reply")
    return {"item": order.item, "total": order.quantity * unit, "pid": os.getpid(), **order.extra}


@node(isolation="process", timeout=0.5)
def stuck(pid_file: str) -> int:
    """Writes its pid, then sleeps in C far past its timeout."""
    Path(pid_file).write_text(str(os.getpid()))
    time.sleep(60)
    Path(pid_file + ".late").write_text("a side effect after the timeout")
    return 0


@node(isolation="process")
def refuses(x: int) -> int:
    raise ValueError(f"no {x}")


@node(isolation="process")
def dies(x: int) -> int:
    os._exit(3)
