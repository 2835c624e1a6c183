"""MCP tool calls through plait's MCP layer beside the bare ``mcp`` ``ClientSession``.

Usage: ``python benchmarks/mcp_calls.py [--quick] [--calls 200] [--json FILE]``.

Both sides talk to their own copy of the same server over stdio (the test suite's
``tests/fakes/mcp_faults.py``, tool ``echo``): plait through ``MCPTool.invoke`` (what the
agent loop calls: the shared connection, content mapping, the error translation), the
bare side through ``ClientSession.call_tool``. Repetitions are interleaved; medians are
reported with the ratio plait/bare and the overhead per call (targets: <= 1.1x and
<= 200 us). Also: the start-up time of a server (start, ``initialize``, ``tools/list``)
for ``mcp-server-time`` and the fault server, and 100 parallel calls to one server.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path

import anyio
from mcp import ClientSession, StdioServerParameters, stdio_client

from plait.nodes import ToolCall
from plait.nodes.mcp import MCPHub, MCPServer, MCPTool, mcp

__all__ = ["main"]

ROOT = Path(__file__).resolve().parents[1]
RATIO_TARGET = 1.1
OVERHEAD_TARGET_US = 200.0
FAULTS = MCPServer(
    "faults", command=sys.executable, args=("-m", "tests.fakes.mcp_faults"), cwd=str(ROOT)
)
TIME = MCPServer("time", command=sys.executable, args=("-m", "mcp_server_time"))


def _parameters(server: MCPServer) -> StdioServerParameters:
    assert server.command is not None
    return StdioServerParameters(command=server.command, args=list(server.args), cwd=server.cwd)


async def _timed(calls: int, one: Callable[[int], Awaitable[object]]) -> float:
    started = time.perf_counter()
    for index in range(calls):
        await one(index)
    return (time.perf_counter() - started) / calls


async def _parallel(count: int, one: Callable[[int], Coroutine[object, object, object]]) -> float:
    started = time.perf_counter()
    async with anyio.create_task_group() as group:
        for index in range(count):
            group.start_soon(one, index)
    return time.perf_counter() - started


async def _start_up(server: MCPServer, repeats: int) -> tuple[float, float]:
    """Median seconds to a listed server: through plait, and bare."""
    plait_times: list[float] = []
    bare_times: list[float] = []
    for _ in range(repeats):
        started = time.perf_counter()
        async with MCPHub({server.name: server}) as hub:
            await hub.connection(server.name).tools()
            plait_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        with open(os.devnull, "w") as quiet:  # noqa: ASYNC230 - opening the null device
            async with (
                stdio_client(_parameters(server), errlog=quiet) as (read, write),
                ClientSession(read, write) as session,
            ):
                await session.initialize()
                await session.list_tools()
                bare_times.append(time.perf_counter() - started)
    return statistics.median(plait_times), statistics.median(bare_times)


async def _calls(calls: int, rounds: int, parallel: int) -> dict[str, float]:
    with open(os.devnull, "w") as quiet:  # noqa: ASYNC230 - opening the null device
        async with (
            MCPHub({"faults": FAULTS}) as hub,
            stdio_client(_parameters(FAULTS), errlog=quiet) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            (echo,) = (await hub.parts([mcp("faults", "echo")])).tools
            assert isinstance(echo, MCPTool)

            async def through_plait(index: int) -> object:
                return await echo.invoke(ToolCall(str(index), echo.name, {"text": "hi"}))

            async def bare(index: int) -> object:
                return await session.call_tool("echo", {"text": "hi"})

            for warm in (through_plait, bare):
                await _timed(20, warm)
            plait_times: list[float] = []
            bare_times: list[float] = []
            for _ in range(rounds):  # interleaved, so drift hits both sides alike
                plait_times.append(await _timed(calls, through_plait))
                bare_times.append(await _timed(calls, bare))
            plait_parallel = statistics.median(
                [await _parallel(parallel, through_plait) for _ in range(rounds)]
            )
            bare_parallel = statistics.median(
                [await _parallel(parallel, bare) for _ in range(rounds)]
            )
    return {
        "plait_call_s": statistics.median(plait_times),
        "bare_call_s": statistics.median(bare_times),
        "plait_parallel_s": plait_parallel,
        "bare_parallel_s": bare_parallel,
    }


async def _measure(quick: bool, calls: int) -> dict[str, float]:
    rounds = 3 if quick else 7
    figures = await _calls(calls, rounds, 100)
    for server in (TIME, FAULTS):
        plait_s, bare_s = await _start_up(server, 1 if quick else 3)
        figures[f"start_{server.name}_plait_s"] = plait_s
        figures[f"start_{server.name}_bare_s"] = bare_s
    return figures


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the figures beside the targets; exit code 0."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--calls", type=int, default=200, help="sequential calls a round")
    parser.add_argument("--json", metavar="FILE", help="write the figures here")
    args = parser.parse_args(argv)
    figures = anyio.run(_measure, args.quick, 50 if args.quick else args.calls)
    plait_call, bare_call = figures["plait_call_s"], figures["bare_call_s"]
    ratio = plait_call / bare_call
    overhead_us = (plait_call - bare_call) * 1e6
    print(f"one tool call    plait {plait_call * 1e6:8.0f} us   bare {bare_call * 1e6:8.0f} us")
    print(f"  ratio {ratio:.3f}x (target <= {RATIO_TARGET}x: {_verdict(ratio <= RATIO_TARGET)})")
    met = overhead_us <= OVERHEAD_TARGET_US
    print(
        f"  overhead {overhead_us:.0f} us a call (target <= {OVERHEAD_TARGET_US:.0f} us: "
        f"{_verdict(met)})"
    )
    plait_parallel, bare_parallel = figures["plait_parallel_s"], figures["bare_parallel_s"]
    print(
        f"100 parallel     plait {plait_parallel * 1e3:8.1f} ms   "
        f"bare {bare_parallel * 1e3:8.1f} ms   ratio {plait_parallel / bare_parallel:.2f}x"
    )
    for name in ("time", "faults"):
        plait_s, bare_s = figures[f"start_{name}_plait_s"], figures[f"start_{name}_bare_s"]
        print(
            f"start-up {name:<7} plait {plait_s * 1e3:8.0f} ms   bare {bare_s * 1e3:8.0f} ms"
            "   (start, initialize, tools/list)"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
