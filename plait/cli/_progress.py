"""How ``plait run`` shows a run while it goes: a live rich table on a terminal.

Running nodes come first and are never scrolled away: when the terminal is too short,
the rows that do not fit are the finished and queued ones, summed up on the last line.
Maps and loops get a progress bar with their items or turns; retries and tokens are
counted per node and for the run. rich is imported only when the live table is used, so
``import plait.cli`` stays cheap. Plain log lines (``LogLines``) are the other display.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from plait.cli._log_lines import LogLines, describe_error, format_duration
from plait.cli._node_rows import ACTIVE, NodeRow, RunProgress

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderableType, RenderResult

    from plait.graphs import Graph

__all__ = [
    "LogLines",
    "NodeRow",
    "ProgressTable",
    "describe_error",
    "format_duration",
    "live_progress",
]

_STYLES = {
    "pending": "dim",
    "running": "bold cyan",
    "retrying": "bold magenta",
    "done": "green",
    "failed": "bold red",
    "cancelled": "yellow",
    "skipped": "dim",
    "waiting": "bold yellow",
}
_ORDER = {state: rank for rank, state in enumerate((*ACTIVE, "failed", "pending", "cancelled"))}
_CHROME = 4
"""Lines around the rows: the summary, the table header, the overflow line, the cursor."""


class ProgressTable(RunProgress):
    """A listener that keeps every node's state; renders as a rich table."""

    def _elapsed(self, started: float | None, ended: float | None) -> str:
        if started is None:
            return ""
        end = ended if ended is not None else self.now()
        return f"{max(0.0, end - started):.2f} s"

    def summary(self) -> str:
        """One line: run id, graph, status, nodes done, time so far, retries and tokens."""
        done, retries, tokens = self.counts()
        parts = [
            f"run {self.run_id}" if self.run_id else "run",
            f"graph {self.graph}",
            self.status,
            f"{done}/{len(self.rows)} done",
        ]
        elapsed = self._elapsed(self.started, self.ended)
        if elapsed:
            parts.append(elapsed)
        if retries:
            parts.append(f"{retries} retr{'y' if retries == 1 else 'ies'}")
        if tokens:
            parts.append(f"{tokens:,} tokens")
        return ", ".join(parts)

    def ordered(self, room: int | None = None) -> tuple[list[NodeRow], list[NodeRow]]:
        """The rows to show (running ones first, then failed, queued, finished) and
        the rest that do not fit in ``room`` rows."""
        rows = sorted(self.rows.values(), key=lambda row: _ORDER.get(row.state, len(_ORDER)))
        if room is None or len(rows) <= room:
            return rows, []
        room = max(room - 1, sum(row.state in ACTIVE for row in rows), 1)
        return rows[:room], rows[room:]

    def render(self, room: int | None = None) -> RenderableType:
        """The summary line above a table of nodes: state, attempt, time, progress, detail."""
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
        # Narrow terminals shorten the detail first, then long node names and states.
        widest = max((len(name) for name in self.rows), default=4)
        table.add_column("node", no_wrap=True, min_width=min(widest, 24))
        table.add_column("state", no_wrap=True, min_width=9)
        table.add_column("attempt", justify="right", no_wrap=True, min_width=7)
        table.add_column("time", justify="right", no_wrap=True, min_width=8)
        # Progress and tokens only when some node has them: the detail keeps its room.
        bars = any(row.kind for row in self.rows.values())
        tokens = any(row.tokens for row in self.rows.values())
        if bars:
            table.add_column("progress", no_wrap=True)
        if tokens:
            table.add_column("tokens", justify="right", no_wrap=True)
        table.add_column("detail", overflow="ellipsis", no_wrap=True, max_width=60)
        shown, hidden = self.ordered(room)
        for row in shown:
            cells: list[RenderableType] = [
                row.node,
                Text(row.label, style=_STYLES.get(row.state, "")),
                str(row.attempt) if row.attempt else "",
                self._elapsed(row.started, row.ended),
            ]
            if bars:
                cells.append(_progress(row))
            if tokens:
                cells.append(f"{row.tokens:,}" if row.tokens else "")
            table.add_row(*cells, row.detail)
        status_style = {"succeeded": "bold green", "failed": "bold red"}.get(self.status, "bold")
        header = Text("plait: ", style="bold")
        header.append(self.summary(), style=status_style)
        if not hidden:
            return Group(header, table)
        states: dict[str, int] = {}
        for row in hidden:
            states[row.label] = states.get(row.label, 0) + 1
        more = ", ".join(f"{count} {state}" for state, count in states.items())
        return Group(header, table, Text(f"… {len(hidden)} more: {more}", style="dim"))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        room = (options.height or console.size.height) - _CHROME
        yield self.render(max(room, 1))


def _progress(row: NodeRow) -> RenderableType:
    """A map's or loop's bar with its count; nothing for other nodes."""
    from rich.console import Group
    from rich.progress_bar import ProgressBar
    from rich.table import Table

    if not row.kind:
        return ""
    if row.kind == "loop":
        bar = ProgressBar(total=row.total, completed=len(row.begun), width=16)
    elif row.total is not None:  # the map said how many items it runs
        total = max(row.total, 1)
        completed = total if row.state == "done" else row.done
        bar = ProgressBar(total=total, completed=completed, width=16)
    elif row.state == "done":
        bar = ProgressBar(total=max(row.done, 1), completed=max(row.done, 1), width=16)
    else:  # a map that has not said how many items it runs: a pulsing bar until done
        bar = ProgressBar(total=None, width=16)
    line = Table.grid(padding=(0, 1))
    line.add_row(bar, row.count())
    return Group(line)


@contextmanager
def live_progress(
    graph: Graph[object],
    *,
    console: Console | None = None,
    now: Callable[[], float] = time.monotonic,
    run_id: str | None = None,
    refresh_per_second: float = 8,
    redirect_stdout: bool = True,
    force_terminal: bool | None = None,
) -> Iterator[ProgressTable]:
    """Show a live table of ``graph``'s nodes on ``console`` (stderr by default; drawn
    even when it is not a terminal with ``force_terminal``).

    Yields the ``ProgressTable`` to pass as a run listener; leaving the block draws the
    final state once more and stops the display. With ``redirect_stdout``, what nodes
    print goes above the table (give ``False`` when stdout is not the same terminal).
    """
    from rich.console import Console
    from rich.live import Live

    table = ProgressTable(graph, now=now, run_id=run_id)
    if console is None:
        console = Console(stderr=True, force_terminal=force_terminal)
    try:
        with Live(
            table,
            console=console,
            refresh_per_second=refresh_per_second,
            redirect_stdout=redirect_stdout,
            vertical_overflow="crop",
        ):
            yield table
    finally:
        if not console.is_terminal:  # rich ends its last drawing with a newline only there
            console.line()
