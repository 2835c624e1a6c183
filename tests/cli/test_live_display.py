"""The live display: running nodes first, queued as queued, bars for maps and loops,
retries and tokens, and shown when only stderr is a terminal."""

from __future__ import annotations

import io
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import anyio
import pytest
from rich.console import Console

from plait import GraphBuilder, RunOptions, node
from plait.cli._progress import ProgressTable
from plait.engine import Event, NodeFinished, NodeStarted, RunStarted
from plait.graphs import Graph, NodeRef
from tests.cli.cli_progress_graphs import graph as progress_graph

HERE = Path(__file__).resolve().parent
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def render(table: ProgressTable, height: int = 40) -> str:
    console = Console(file=io.StringIO(), force_terminal=True, width=110, height=height)
    console.print(table)
    output = console.file
    assert isinstance(output, io.StringIO)
    return ANSI.sub("", output.getvalue())


def wide_graph(count: int) -> Graph[object]:
    """``count`` nodes and ``gather``, in a chain (the rows' states come from events)."""

    @node
    async def work(x: int) -> int:
        return x

    b = GraphBuilder("wide", inputs={"x": int})
    last: str | NodeRef[object] = "inputs.x"
    for index in range(count):
        last = b.add(work, id=f"n{index}", inputs={"x": last})
    return b.build(b.add(work, id="gather", inputs={"x": last}))


def test_running_nodes_come_first_and_never_scroll_away() -> None:
    table = ProgressTable(wide_graph(12), now=lambda: 5.0)
    table(RunStarted(seq=0, run_id="r1", time=1.0, graph="wide", content_hash="h", inputs={}))
    for index in range(6):
        table(NodeStarted(seq=1, run_id="r1", time=1.0, node=f"n{index}", attempt=1))
        table(
            NodeFinished(
                seq=2, run_id="r1", time=2.0, node=f"n{index}", attempt=1, duration=1, output=0
            )
        )
    for name in ("n9", "n11"):
        table(NodeStarted(seq=3, run_id="r1", time=3.0, node=name, attempt=1))

    text = render(table, height=8)  # room for 4 rows

    lines = text.splitlines()
    assert lines[0] == "plait: run r1, graph wide, running, 6/13 done, 4.00 s"
    rows = [line.split()[:2] for line in lines[2:-1]]
    assert rows == [["n9", "running"], ["n11", "running"], ["n6", "queued"]]
    assert lines[-1] == "… 10 more: 4 queued, 6 done"
    assert len(lines) <= 8


def test_everything_shows_when_there_is_room() -> None:
    table = ProgressTable(wide_graph(3), now=lambda: 5.0)
    text = render(table, height=40)
    assert "more" not in text
    assert [line.split()[0] for line in text.splitlines()[2:]] == ["n0", "n1", "n2", "gather"]


def test_maps_and_loops_get_bars_with_counts_and_agents_their_tokens() -> None:
    table = ProgressTable(progress_graph)
    result = progress_graph.run_sync({"xs": [1, 2, 3], "text": "hi"}, listeners=(table,))

    assert result.output == "12 hi!! All done."
    text = render(table)
    rows = {line.split()[0]: line for line in text.splitlines()[2:] if line.strip()}
    assert "3/3 items" in rows["each"]
    assert "2/5 turns" in rows["again"]
    assert re.search(r"summarise\s+done\s+1\s+\S+ s\s+15\b", rows["summarise"])
    assert "15 tokens" in text.splitlines()[0]
    assert "━" in rows["each"]
    assert "━" in rows["again"]


def test_a_map_in_progress_counts_its_items() -> None:
    table = ProgressTable(progress_graph, now=lambda: 3.0)
    table(RunStarted(seq=0, run_id="r1", time=1.0, graph="progress", content_hash="h", inputs={}))
    table(NodeStarted(seq=1, run_id="r1", time=1.0, node="each", attempt=1))
    for index in range(3):
        table(NodeStarted(seq=2, run_id="r1", time=1.0, node=f"each[{index}]/double", attempt=1))
    table(
        NodeFinished(
            seq=3, run_id="r1", time=2.0, node="each[1]/double", attempt=1, duration=1, output=4
        )
    )

    rows = {line.split()[0]: line for line in render(table).splitlines()[2:] if line.strip()}
    assert re.search(r"each\s+running\s+1\s+2\.00 s\s+\S+\s+1/3\+ items", rows["each"])


@pytest.mark.anyio
async def test_a_node_waiting_for_a_slot_is_queued_not_running() -> None:
    seen: list[dict[str, str]] = []
    table: ProgressTable

    @node
    async def slow(x: int) -> int:
        seen.append({name: row.state for name, row in table.rows.items()})
        await anyio.sleep(0.01)
        return x

    b = GraphBuilder("slots", inputs={"x": int})
    first = b.add(slow, id="first", inputs={"x": "inputs.x"})
    second = b.add(slow, id="second", inputs={"x": "inputs.x"})

    @node
    async def both(a: int, b: int) -> int:
        return a + b

    graph = b.build(b.add(both, inputs={"a": first, "b": second}))
    table = ProgressTable(graph)

    await graph.run({"x": 1}, options=RunOptions(max_concurrency=1), listeners=(table,))

    assert seen[0] == {"first": "running", "second": "pending", "both": "pending"}
    assert seen[1] == {"first": "done", "second": "running", "both": "pending"}


def run_on_a_terminal_stderr(*argv: str) -> tuple[int, str, str]:
    """Run ``plait`` with stderr on a pseudo-terminal and stdout on a pipe."""
    environment = {key: value for key, value in os.environ.items() if key != "FORCE_COLOR"}
    environment |= {"TERM": "xterm-256color", "COLUMNS": "120", "LINES": "30"}
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "plait", *argv],
        cwd=HERE,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=follower,
        env=environment,
    )
    os.close(follower)
    chunks: list[bytes] = []
    try:
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert process.stdout is not None
        out = process.stdout.read().decode()
        code = process.wait(timeout=60)
    finally:
        os.close(leader)
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
    return code, out, b"".join(chunks).decode(errors="replace")


INPUTS = '{"xs": [1, 2, 3], "text": "hi"}'


def test_the_live_table_shows_when_only_stderr_is_a_terminal() -> None:
    code, out, err = run_on_a_terminal_stderr("run", "cli_progress_graphs:graph", "-i", INPUTS)

    assert code == 0, err
    assert out == "printed by a node\n12 hi!! All done.\n"  # prints stay on stdout
    assert "\x1b[" in err  # drawn, not logged
    text = ANSI.sub("", err)
    assert re.search(r"graph progress, succeeded, 4/4 done", text)
    assert "3/3 items" in text
    assert "plait: node" not in text


def test_no_progress_gives_plain_lines_on_a_terminal() -> None:
    code, out, err = run_on_a_terminal_stderr(
        "run", "cli_progress_graphs:graph", "-i", INPUTS, "--no-progress"
    )

    assert code == 0, err
    assert out == "printed by a node\n12 hi!! All done.\n"
    assert "plait: node each started (attempt 1)" in err
    assert "\x1b[" not in err


@pytest.mark.anyio
async def test_a_running_map_shows_items_done_out_of_its_total() -> None:
    @node
    async def double(x: int) -> int:
        return 2 * x

    b = GraphBuilder("mapped", inputs={"xs": list[int]})
    graph = b.build(b.map(double, id="each", over="x", concurrency=1, inputs={"x": "inputs.xs"}))
    table = ProgressTable(graph)
    drawn: list[str] = []

    def listen(event: Event) -> None:
        table(event)
        if isinstance(event, NodeFinished) and event.node.startswith("each[") and not drawn:
            drawn.append(render(table))  # one item of four done (one at a time, any order)

    result = await graph.run({"xs": [1, 2, 3, 4]}, listeners=(listen,))

    assert result.output == [2, 4, 6, 8]
    rows = {line.split()[0]: line for line in drawn[0].splitlines()[2:] if line.strip()}
    # a quarter of the bar: 4 of 16 cells, then the rest to go
    assert re.search(r"each\s+running\s+1\s+\S+ s\s+━{4}╺━{11}\s+1/4 items", rows["each"])
    assert table.rows["each"].total == 4
    assert "4/4 items" in render(table)
