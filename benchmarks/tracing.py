"""Count how often node bodies really run, so a broken engine cannot look fast."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from types import CodeType, FrameType

__all__ = ["count_calls"]


@contextmanager
def count_calls(codes: Iterable[CodeType]) -> Iterator[Counter[CodeType] | None]:
    """Count distinct calls of ``codes`` on this thread while the block runs.

    A coroutine's frame is reported again on every resume, so frames are kept and
    counted once each; the counter is filled in when the block ends. Under another
    profiler (``python -m cProfile``) nothing is counted and None is given instead.
    """
    if sys.getprofile() is not None:
        yield None
        return
    wanted = frozenset(codes)
    frames: list[FrameType] = []
    seen: set[int] = set()
    counted: Counter[CodeType] = Counter()

    def profile(frame: FrameType, event: str, arg: object) -> None:
        if event == "call" and frame.f_code in wanted and id(frame) not in seen:
            seen.add(id(frame))
            frames.append(frame)  # kept alive so its id is never reused

    sys.setprofile(profile)
    try:
        yield counted
    finally:
        sys.setprofile(None)
        counted.update(frame.f_code for frame in frames)
        frames.clear()
