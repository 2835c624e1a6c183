"""W7's rows: the medians of one comparison, their verdict, a console line and a README line."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "CONSOLE_HEAD",
    "OVERHEAD_TARGET_US",
    "RATIO_TARGET",
    "STREAM_TARGET",
    "Row",
    "console",
    "markdown",
]

RATIO_TARGET = 1.15
OVERHEAD_TARGET_US = 300.0
STREAM_TARGET = 1.1
TIMES = "\N{MULTIPLICATION SIGN}"


@dataclass(frozen=True, slots=True)
class Row:
    """One comparison's medians (LangGraph's are None when it is not installed)."""

    provider: str
    delay_ms: int
    shape: str
    n: int
    bare_s: float
    plait_s: float
    bare_ttft_s: float | None = None
    plait_ttft_s: float | None = None
    langgraph_s: float | None = None
    langgraph_ttft_s: float | None = None

    @property
    def streamed(self) -> bool:
        return self.bare_ttft_s is not None and self.plait_ttft_s is not None

    @property
    def ratio(self) -> float:
        if self.bare_ttft_s is not None and self.plait_ttft_s is not None:
            return self.plait_ttft_s / self.bare_ttft_s
        return self.plait_s / self.bare_s

    @property
    def overhead_us(self) -> float:
        return (self.plait_s - self.bare_s) / self.n * 1e6

    @property
    def met(self) -> bool:
        if self.shape == "stream":
            return self.ratio <= STREAM_TARGET
        return self.ratio <= RATIO_TARGET and self.overhead_us <= OVERHEAD_TARGET_US

    def to_json(self) -> dict[str, object]:
        return {
            "workload": "W7",
            "provider": self.provider,
            "delay_ms": self.delay_ms,
            "shape": self.shape,
            "n": self.n,
            "bare_s": self.bare_s,
            "plait_s": self.plait_s,
            "langgraph_s": self.langgraph_s,
            "bare_ttft_s": self.bare_ttft_s,
            "plait_ttft_s": self.plait_ttft_s,
            "langgraph_ttft_s": self.langgraph_ttft_s,
            "ratio": self.ratio,
            "overhead_us": self.overhead_us,
            "met": self.met,
        }


def _ms(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1e3:.1f}"


def _target(row: Row) -> str:
    if row.shape == "stream":
        return f"<= {STREAM_TARGET}x ttft"
    return f"<= {RATIO_TARGET}x, <= {OVERHEAD_TARGET_US:.0f} µs"


CONSOLE_HEAD = (
    f"{'provider':<10} {'delay':>6}  {'shape':<9} {'n':>5}  {'bare ms':>9} {'plait ms':>9}"
    f" {'lgraph ms':>9}  {'ratio':>7} {'µs/call':>9}  {'target':<22} met"
)


def console(row: Row) -> str:
    """The row as the run prints it (times to first token appended when streamed)."""
    ttft = (
        f"  ttft bare/plait/langgraph {_ms(row.bare_ttft_s)} / {_ms(row.plait_ttft_s)}"
        f" / {_ms(row.langgraph_ttft_s)} ms"
        if row.streamed
        else ""
    )
    return (
        f"{row.provider:<10} {row.delay_ms:>3} ms  {row.shape:<9} {row.n:>5}  "
        f"{_ms(row.bare_s):>9} {_ms(row.plait_s):>9} {_ms(row.langgraph_s):>9}  "
        f"{row.ratio:6.3f}x {row.overhead_us:9.1f}  {_target(row):<22} "
        f"{'yes' if row.met else 'NO'}{ttft}"
    )


def markdown(rows: Iterable[Row]) -> list[str]:
    """The README's W7 table; a streamed row shows times to first token."""
    lines = [
        "| provider | shape | delay | bare SDK ms | plait ms | LangGraph ms | plait / bare "
        "| overhead µs/call | target |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        if row.streamed:
            shape = "stream (time to first token)"
            bare, plait, langgraph = row.bare_ttft_s, row.plait_ttft_s, row.langgraph_ttft_s
            overhead = "—"
            target = f"≤ {STREAM_TARGET}{TIMES}"
        else:
            shape = row.shape
            bare, plait, langgraph = row.bare_s, row.plait_s, row.langgraph_s
            overhead = f"{row.overhead_us:.0f}"
            target = f"≤ {RATIO_TARGET}{TIMES}, ≤ {OVERHEAD_TARGET_US:.0f} µs"
        lines.append(
            f"| {row.provider} | {shape} | {row.delay_ms} ms | {_ms(bare)} | {_ms(plait)} "
            f"| {_ms(langgraph)} | {row.ratio:.2f}{TIMES} | {overhead} "
            f"| {target} {'✅' if row.met else '❌'} |"
        )
    return lines
