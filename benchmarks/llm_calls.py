"""W7: N agent nodes calling an LLM through plait, beside the bare SDK making the same calls.

Usage: ``python benchmarks/llm_calls.py [--quick] [--n 200] [--json FILE]``.

A fake server (``llm_server.py``, its own process) answers in 50 ms (and in 0 ms, to
show the fixed costs) in the Anthropic and OpenAI wire formats; both sides go through
the real SDK with one long-lived client each and the same connection limits. plait runs
N agent nodes in parallel (joined by one node) and a map of one agent over N items;
the bare SDK makes the same N calls in one anyio task group. Streamed: the time to
first token, through the engine's token events vs the bare SDK's stream. Repetitions
are interleaved; medians are reported, with the ratio plait/bare and the engine's
overhead per call, ``(plait - bare) / N``.

When LangGraph and langchain-anthropic / langchain-openai are installed (the ``bench``
extra), the same shapes run through LangGraph (``llm_langgraph.py``) in the same
interleaved rounds. The run ends by printing the README's table.
"""

from __future__ import annotations

import argparse
import gc
import inspect
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import anthropic
import anyio
import httpx2
import openai
from llm_langgraph import LangGraphW7, available
from llm_rows import CONSOLE_HEAD, Row, console, markdown
from llm_server import ANSWER

from plait import Graph, GraphBuilder, node, run
from plait.engine import Event, NodeReported
from plait.nodes import ModelCatalog, PlaitConfig, ProviderConfig, Secret, agent
from plait.nodes.llm.providers._clients import MAX_CONNECTIONS

__all__ = ["main"]

HERE = Path(__file__).resolve().parent
KEY = "sk-bench-0000"
MODELS = {"anthropic": "claude-haiku-4-5", "openai": "gpt-5-mini"}
Timed = Callable[[], Awaitable[float | None]]
"""One repetition: runs the calls and returns a time to first token, or None."""


class FakeLLM:
    """The fake server's process; ``url(delay)`` is a base URL answering after ``delay``."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, str(HERE / "llm_server.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        self.port = int(self._process.stdout.readline())

    def url(self, provider: str, delay_ms: int) -> str:
        suffix = "/v1" if provider == "openai" else ""
        return f"http://127.0.0.1:{self.port}/d{delay_ms}{suffix}"

    def stop(self) -> tuple[int, float]:
        """Stop the server; how many requests it answered and its CPU seconds."""
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        self._process.stdin.close()
        requests, cpu = self._process.stdout.readline().split()
        self._process.wait(timeout=10)
        return int(requests), float(cpu)


def _limits() -> httpx2.Limits:
    return httpx2.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS)


def bare_client(provider: str, base_url: str) -> Any:
    """The SDK client the bare side shares, with plait's connection limits."""
    sdk: Any = anthropic if provider == "anthropic" else openai
    factory = anthropic.AsyncAnthropic if provider == "anthropic" else openai.AsyncOpenAI
    http = sdk.DefaultAsyncHttpxClient(limits=_limits())
    return factory(api_key=KEY, base_url=base_url, max_retries=0, http_client=http)


async def bare_call(provider: str, client: Any, stream: bool) -> float:
    """One call as a user of the SDK writes it; the time of its first text (or its end)."""
    messages = [{"role": "user", "content": "q"}]
    model = MODELS[provider]
    text = ""
    first = 0.0
    if provider == "anthropic":
        params = {"model": model, "max_tokens": 4096, "messages": messages}
        if not stream:
            reply = await client.messages.create(**params)
            text = reply.content[0].text
        else:
            async with client.messages.stream(**params) as events:
                async for event in events:
                    if event.type == "content_block_delta" and not first:
                        first = time.perf_counter()
                text = (await events.get_final_message()).content[0].text
    elif not stream:
        text = (await client.responses.create(model=model, input=messages, store=False)).output_text
    else:
        async with client.responses.stream(model=model, input=messages, store=False) as events:
            async for event in events:
                if event.type == "response.output_text.delta" and not first:
                    first = time.perf_counter()
            text = (await events.get_final_response()).output_text
    if text != ANSWER:
        raise AssertionError(f"bare {provider}: answered {text!r}")
    return first or time.perf_counter()


def bare(provider: str, client: Any, n: int, stream: bool = False) -> Timed:
    """N calls in one task group; the median time to first token when streamed."""

    async def once() -> float | None:
        firsts: list[float] = []
        start = time.perf_counter()

        async def one() -> None:
            firsts.append(await bare_call(provider, client, stream) - start)

        async with anyio.create_task_group() as group:
            for _ in range(n):
                group.start_soon(one)
        return statistics.median(firsts) if stream else None

    return once


def _counter(names: Sequence[str]) -> Callable[..., Awaitable[int]]:
    """A join node body: how many of its ``str`` inputs are the expected answer."""

    async def count(**answers: str) -> int:
        return sum(answer == ANSWER for answer in answers.values())

    parameters = [
        inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, annotation=str) for n in names
    ]
    count.__signature__ = inspect.Signature(parameters, return_annotation=int)  # type: ignore[attr-defined]
    count.__annotations__ = {**dict.fromkeys(names, str), "return": int}
    return count


def parallel_graph(models: ModelCatalog, model: str, n: int) -> Graph[int]:
    """N agent nodes on the same input, joined by one node counting right answers."""
    b = GraphBuilder("w7_parallel", inputs={"message": str})
    names = [f"a{index}" for index in range(n)]
    refs = {
        name: b.add(agent(name, model=model, models=models), inputs={"message": "inputs.message"})
        for name in names
    }
    return b.build(b.add(node(_counter(names)), id="count", inputs=refs))


def map_graph(models: ModelCatalog, model: str, n: int) -> Graph[list[str]]:
    """One agent mapped over ``messages``."""
    b = GraphBuilder("w7_map", inputs={"messages": list[str]})
    ask = agent("ask", model=model, models=models)
    return b.build(b.map(ask, over="message", max_items=n, inputs={"message": "inputs.messages"}))


def plait_parallel(graph: Graph[int], n: int, stream: bool = False) -> Timed:
    """Run the parallel graph (listening to its tokens when ``stream``)."""

    async def once() -> float | None:
        firsts: dict[str, float] = {}
        start = time.perf_counter()

        def listen(event: Event) -> None:
            if isinstance(event, NodeReported) and event.kind == "token":
                firsts.setdefault(event.node, time.perf_counter() - start)

        result = await run(graph, {"message": "q"}, listeners=(listen,) if stream else ())
        if result.output != n or (stream and len(firsts) != n):
            raise AssertionError(f"plait: {result.output} right answers of {n}")
        return statistics.median(firsts.values()) if stream else None

    return once


def plait_map(graph: Graph[list[str]], n: int) -> Timed:
    """Run the map graph over ``n`` messages."""

    async def once() -> float | None:
        result = await run(graph, {"messages": ["q"] * n})
        if result.output != [ANSWER] * n:
            raise AssertionError("plait map: wrong answers")
        return None

    return once


async def interleaved(
    cases: dict[str, Timed], repetitions: int, warmups: int
) -> dict[str, tuple[float, float | None]]:
    """Median seconds (and median time to first token) of each case, run in turn."""
    times: dict[str, list[float]] = {name: [] for name in cases}
    firsts: dict[str, list[float]] = {name: [] for name in cases}
    for repetition in range(warmups + repetitions):
        for name, once in cases.items():
            gc.collect()  # what earlier repetitions left is not this one's to pay for
            start = time.perf_counter()
            first = await once()
            elapsed = time.perf_counter() - start
            if repetition >= warmups:
                times[name].append(elapsed)
                if first is not None:
                    firsts[name].append(first)
    return {
        name: (
            statistics.median(times[name]),
            statistics.median(firsts[name]) if firsts[name] else None,
        )
        for name in cases
    }


def catalog(provider: str, base_url: str) -> ModelCatalog:
    settings = ProviderConfig(api_key=Secret(KEY), base_url=base_url)
    return ModelCatalog(PlaitConfig(providers={provider: settings}))


async def measure(
    server: FakeLLM, provider: str, delay_ms: int, n: int, repetitions: int, warmups: int
) -> list[Row]:
    """The rows of one provider at one delay (streamed only at a non-zero delay)."""
    url = server.url(provider, delay_ms)
    model = f"{provider}.{MODELS[provider]}"
    models = catalog(provider, url)
    client = bare_client(provider, url)
    parallel = parallel_graph(models, model, n)
    rival = LangGraphW7(provider, MODELS[provider], url, KEY, n) if available(provider) else None
    cases = {
        "bare": bare(provider, client, n),
        "parallel": plait_parallel(parallel, n),
        "map": plait_map(map_graph(models, model, n), n),
    }
    if delay_ms:
        cases["bare_stream"] = bare(provider, client, n, stream=True)
        cases["stream"] = plait_parallel(parallel, n, stream=True)
    if rival is not None:
        cases |= {"lg_parallel": rival.parallel(), "lg_map": rival.map()}
        if delay_ms:
            cases["lg_stream"] = rival.stream()
    async with models:  # held open like a long-lived application holds it
        try:
            medians = await interleaved(cases, repetitions, warmups)
        finally:
            await client.close()
            if rival is not None:
                await rival.close()
    shapes = ("parallel", "map", "stream") if delay_ms else ("parallel", "map")
    return [_row(provider, delay_ms, shape, n, medians) for shape in shapes]


def _row(
    provider: str,
    delay_ms: int,
    shape: str,
    n: int,
    medians: dict[str, tuple[float, float | None]],
) -> Row:
    bare_s, bare_first = medians["bare_stream" if shape == "stream" else "bare"]
    plait_s, plait_first = medians[shape]
    langgraph_s, langgraph_first = medians.get(f"lg_{shape}", (None, None))
    return Row(
        provider,
        delay_ms,
        shape,
        n,
        bare_s,
        plait_s,
        bare_first,
        plait_first,
        langgraph_s,
        langgraph_first,
    )


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 repetitions after 1 warm-up")
    parser.add_argument("--n", type=int, default=200, help="calls per repetition (default 200)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the rows here")
    options = parser.parse_args(argv)
    if options.n < 1:
        parser.error("--n must be at least 1")
    return options


async def run_all(n: int, repetitions: int, warmups: int) -> list[Row]:
    """Every provider at 50 ms and 0 ms, printing rows as they come."""
    print(CONSOLE_HEAD, flush=True)
    server = FakeLLM()
    rows: list[Row] = []
    try:
        for provider in ("anthropic", "openai"):
            for delay_ms in (50, 0):
                for row in await measure(server, provider, delay_ms, n, repetitions, warmups):
                    print(console(row), flush=True)
                    rows.append(row)
    finally:
        requests, cpu = server.stop()
    per_request = cpu / max(requests, 1) * 1e6
    print(
        f"fake server: {requests} requests, {per_request:.0f} µs of its own CPU each (own process)"
    )
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    """Run W7; 0 whatever the targets say (they are printed), 1 on a wrong answer."""
    options = parse(argv)
    repetitions, warmups = (3, 1) if options.quick else (15, 2)
    rows = anyio.run(run_all, options.n, repetitions, warmups)
    print("\n".join(["", *markdown(rows)]))
    if options.json is not None:
        options.json.write_text(json.dumps([row.to_json() for row in rows], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
