"""Measurement: verify each engine once, then time interleaved repetitions of it."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import CodeType

from memory import peak_rss_mb, reset_peak_rss
from tracing import count_calls

__all__ = [
    "BenchmarkError",
    "Case",
    "Outcome",
    "Record",
    "Settings",
    "Target",
    "Trial",
    "Workload",
    "measure",
]


class BenchmarkError(Exception):
    """An engine gave a wrong answer, so its timings would mean nothing."""


@dataclass(frozen=True, slots=True)
class Trial:
    """What one engine does for one workload: ``run`` is the timed part."""

    run: Callable[[], Awaitable[object]]
    answer: Callable[[object], int]
    """Reduce ``run``'s result to the int the workload expects (called untimed)."""
    prepare: Callable[[], object] | None = None
    """Untimed work before every repetition; its median is reported as a note."""
    extra: Callable[[], Mapping[str, float]] | None = None
    """More record fields, read after the engine's runs (e.g. ``db_bytes``)."""


@dataclass(frozen=True, slots=True)
class Case:
    """An engine's trial with what a correct run must produce."""

    engine: str
    trial: Trial
    expected: int
    calls: Mapping[CodeType, int] = field(default_factory=dict)
    """How often one run must call each node body (keyed by its code object)."""


@dataclass(frozen=True, slots=True)
class Record:
    """One engine's result on one workload."""

    workload: str
    engine: str
    n: int
    median_s: float
    per_node_us: float
    peak_rss_mb: float
    extra: Mapping[str, float] = field(default_factory=dict)
    prepare_s: float | None = None
    """Median of the untimed ``prepare`` step, when the trial has one (not in the JSON)."""

    def to_json(self) -> dict[str, object]:
        """The record as written by ``--json``."""
        return {
            "workload": self.workload,
            "engine": self.engine,
            "n": self.n,
            "median_s": self.median_s,
            "per_node_us": self.per_node_us,
            "peak_rss_mb": self.peak_rss_mb,
            **self.extra,
        }


@dataclass(frozen=True, slots=True)
class Target:
    """plait's goal on a workload, judged from its record and the floor's."""

    text: str
    met: Callable[[Record, Record], bool]

    @staticmethod
    def per_node_us(limit: float) -> Target:
        """At most ``limit`` µs per node."""
        return Target(f"≤ {limit:g} µs/node", lambda mine, _: mine.per_node_us <= limit)

    @staticmethod
    def floor_ratio(limit: float) -> Target:
        """At most ``limit`` times the floor's median."""
        return Target(
            f"≤ {limit:g}x floor", lambda mine, floor: mine.median_s <= limit * floor.median_s
        )

    @staticmethod
    def seconds(limit: float) -> Target:
        """Under ``limit`` seconds."""
        return Target(f"< {limit:g} s", lambda mine, _: mine.median_s < limit)


@dataclass(frozen=True, slots=True)
class Workload:
    """A workload at a given size, with one case per engine (the floor first)."""

    name: str
    title: str
    n: int
    target: Target
    cases: Sequence[Case]


@dataclass(frozen=True, slots=True)
class Settings:
    """How many repetitions to time, after how many warm-ups."""

    repetitions: int
    warmups: int


@dataclass(frozen=True, slots=True)
class Outcome:
    """A workload's records, in the order of its cases (without its graphs, now freed)."""

    name: str
    title: str
    target: Target
    records: list[Record]


async def measure(workload: Workload, settings: Settings) -> Outcome:
    """Verify every engine, then time them interleaved; report medians."""
    peaks = {case.engine: await _verify(workload.name, case) for case in workload.cases}
    times: dict[str, list[float]] = {case.engine: [] for case in workload.cases}
    prepares: dict[str, list[float]] = {case.engine: [] for case in workload.cases}
    # Objects alive now (imports, built graphs) are frozen out of the collector, so the
    # collection before each repetition only walks what earlier repetitions left behind.
    gc.collect()
    gc.freeze()
    try:
        for repetition in range(settings.warmups + settings.repetitions):
            for case in workload.cases:
                prepared, elapsed = await _once(case.trial)
                if repetition >= settings.warmups:
                    times[case.engine].append(elapsed)
                    if prepared is not None:
                        prepares[case.engine].append(prepared)
    finally:
        gc.unfreeze()
    records = [
        _record(workload, case, times[case.engine], prepares[case.engine], peaks[case.engine])
        for case in workload.cases
    ]
    return Outcome(workload.name, workload.title, workload.target, records)


def _record(
    workload: Workload, case: Case, times: list[float], untimed: list[float], peak_mb: float
) -> Record:
    """One engine's record: medians, per-node cost, peak RSS and the trial's extra fields."""
    median = statistics.median(times)
    extra = case.trial.extra() if case.trial.extra is not None else {}
    return Record(
        workload=workload.name,
        engine=case.engine,
        n=workload.n,
        median_s=median,
        per_node_us=median / workload.n * 1e6,
        peak_rss_mb=peak_mb,
        extra=dict(extra),
        prepare_s=statistics.median(untimed) if untimed else None,
    )


async def _once(trial: Trial) -> tuple[float | None, float]:
    """(prepare seconds or None, run seconds) of one repetition, after a collection.

    The collection frees what earlier repetitions left (a compiled graph with cycles waits
    for a full one), so that work never lands in another engine's timed region.
    """
    prepared = None
    if trial.prepare is not None:
        start = time.perf_counter()
        trial.prepare()
        prepared = time.perf_counter() - start
    gc.collect()
    start = time.perf_counter()
    await trial.run()
    return prepared, time.perf_counter() - start


async def _verify(workload: str, case: Case) -> float:
    """Check one traced run's answer and body calls; return the peak RSS of a plain run.

    Raises:
        BenchmarkError: when the answer or a body's call count is wrong.
    """
    trial = case.trial
    if trial.prepare is not None:
        trial.prepare()
    with count_calls(case.calls) as counted:
        result = await trial.run()
    problems = []
    answer = trial.answer(result)
    if answer != case.expected:
        problems.append(f"answered {answer}, expected {case.expected}")
    for code, expected in case.calls.items():
        if counted is not None and counted[code] != expected:
            problems.append(f"called {code.co_name} {counted[code]} times, expected {expected}")
    if problems:
        raise BenchmarkError(f"{workload} on {case.engine}: " + "; ".join(problems))
    del result
    reset_peak_rss()
    await _once(trial)
    return peak_rss_mb()
