"""Each agent pattern's engine overhead beside the same model calls written as plain anyio.

Usage: ``python benchmarks/patterns.py [--quick] [--delay-ms 5] [--repetitions 30]``.

One offline model answers every call after a small fixed delay (the same model object,
so both sides pay the same per-call cost). For each pattern, plait runs the pattern's
graph and a plain anyio function makes the same calls in the same order (the same ones
concurrently); repetitions of the two are interleaved and medians reported, with the
engine's overhead per run and per model call, ``(plait - plain) / calls``.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio

from plait import Graph
from plait.graphs.patterns import (
    Evaluation,
    Plan,
    chain,
    evaluator_optimizer,
    orchestrator,
    parallel,
    router,
)
from plait.nodes import (
    DeltaHandler,
    Message,
    ModelRequest,
    ModelResponse,
    StopReason,
    Text,
    Usage,
    agent,
)

__all__ = ["main"]

OVERHEAD_TARGET_MS = 1.0
"""The engine's overhead per model call a pattern makes, at most."""
PLAN = json.dumps({"tasks": [{"worker": f"w{i}", "task": f"part {i}"} for i in range(3)]})
ROUTE = json.dumps({"agent": "a1", "confidence": "high", "reasoning": "fits"})
RATINGS = [json.dumps({"rating": r, "feedback": "ok"}) for r in ("fair", "excellent")]


class DelayedModel:
    """Answers after ``delay`` seconds with the text ``answer(request)`` gives."""

    def __init__(self, delay: float, answer: Callable[[ModelRequest], str]) -> None:
        self.delay = delay
        self.answer = answer

    @property
    def name(self) -> str:
        return "delayed"

    async def complete(self, request: ModelRequest) -> ModelResponse:
        await anyio.sleep(self.delay)
        text = self.answer(request)
        message = Message("assistant", (Text(text),), StopReason.END_TURN)
        return ModelResponse(message, Usage(input_tokens=1, output_tokens=1, requests=1), "x")

    async def stream(self, request: ModelRequest, on_delta: DeltaHandler) -> ModelResponse:
        return await self.complete(request)


def _text(delay: float) -> DelayedModel:
    return DelayedModel(delay, lambda request: "text")


def _cycle(delay: float, replies: list[str]) -> DelayedModel:
    state = {"next": 0}

    def answer(request: ModelRequest) -> str:
        reply = replies[state["next"] % len(replies)]
        state["next"] += 1
        return reply

    return DelayedModel(delay, answer)


async def _ask(model: DelayedModel, text: str) -> str:
    response = await model.complete(ModelRequest(messages=(Message.user(text),)))
    return response.message.text


Case = tuple[Graph[Any], Callable[[], Awaitable[object]], int]
"""The pattern's graph, the plain anyio code making the same calls, and how many calls."""


def _cases(delay: float) -> dict[str, Case]:
    text = _text(delay)
    agents = [agent(f"a{i}", model=text, retry=None) for i in range(4)]

    async def plain_chain() -> object:
        value = "go"
        for _ in range(3):
            value = await _ask(text, value)
        return value

    async def plain_parallel() -> object:
        answers: dict[int, str] = {}

        async def one(index: int) -> None:
            answers[index] = await _ask(text, "go")

        async with anyio.create_task_group() as group:
            for index in range(4):
                group.start_soon(one, index)
        return await _ask(text, json.dumps(answers))

    routing = _cycle(delay, [ROUTE])

    async def plain_router() -> object:
        choice = json.loads(await _ask(routing, "go"))
        return await _ask(text, choice["agent"])

    planning = _cycle(delay, [PLAN])
    workers = [agent(f"w{i}", model=text, retry=None) for i in range(3)]

    async def plain_orchestrator() -> object:
        plan = json.loads(await _ask(planning, "go"))
        results: list[str] = [""] * len(plan["tasks"])

        async def run_task(index: int, task: dict[str, str]) -> None:
            results[index] = await _ask(text, task["task"])

        async with anyio.create_task_group() as group:
            for index, task in enumerate(plan["tasks"]):
                group.start_soon(run_task, index, task)
        return await _ask(text, "\n".join(results))

    rating = _cycle(delay, RATINGS)

    async def plain_evaluator() -> object:
        best = ""
        for _ in range(2):
            answer = await _ask(text, "go")
            verdict = json.loads(await _ask(rating, answer))
            best = answer if verdict["rating"] == "excellent" else best
        return best

    async def plain_agent() -> object:
        return await _ask(text, "go")

    return {
        "one agent (baseline)": (chain("one", agents[0]), plain_agent, 1),
        "chain": (chain("c", *agents[:3]), plain_chain, 3),
        "parallel": (parallel("p", agents[:4], fan_in=agent("agg", model=text)), plain_parallel, 5),
        "router": (router("r", agents[1:3], model=routing), plain_router, 2),
        "orchestrator": (
            orchestrator(
                "o", agent("plan", model=planning, output=Plan), workers, agent("s", model=text)
            ),
            plain_orchestrator,
            5,
        ),
        "evaluator_optimizer": (
            evaluator_optimizer("e", agents[0], agent("judge", model=rating, output=Evaluation)),
            plain_evaluator,
            4,
        ),
    }


async def _timed(call: Callable[[], Awaitable[object]]) -> float:
    gc.collect()
    start = time.perf_counter()
    await call()
    return time.perf_counter() - start


async def measure(delay: float, repetitions: int) -> list[tuple[str, int, float, float]]:
    """(pattern, calls, plain median s, plait median s) for each pattern."""
    rows = []
    for name, (graph, plain, calls) in _cases(delay).items():
        result = await graph.run({"message": "go"})
        result.raise_for_status()  # it works before it is timed
        plain_s: list[float] = []
        plait_s: list[float] = []

        async def run_graph(graph: Graph[Any] = graph) -> object:
            return (await graph.run({"message": "go"})).output

        for repetition in range(repetitions + 2):
            first, second = (plain, run_graph) if repetition % 2 else (run_graph, plain)
            a, b = await _timed(first), await _timed(second)
            if repetition < 2:
                continue  # warm-up
            plain_s.append(a if first is plain else b)
            plait_s.append(b if first is plain else a)
        rows.append((name, calls, statistics.median(plain_s), statistics.median(plait_s)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few repetitions (a smoke test)")
    parser.add_argument("--delay-ms", type=float, default=5.0, help="the model's delay")
    parser.add_argument("--repetitions", type=int, default=30)
    args = parser.parse_args()
    repetitions = 3 if args.quick else args.repetitions
    rows = anyio.run(measure, args.delay_ms / 1000, repetitions)
    print(f"agent patterns, model delay {args.delay_ms:g} ms, medians of {repetitions} interleaved")
    print(
        f"{'pattern':<20} {'calls':>5} {'plain ms':>9} {'plait ms':>9} {'overhead ms':>12}"
        f" {'per call':>9}  target ≤ {OVERHEAD_TARGET_MS:g} ms a call"
    )
    for name, calls, plain, plait in rows:
        overhead = (plait - plain) * 1000
        per_call = overhead / calls
        verdict = "met" if per_call <= OVERHEAD_TARGET_MS else "MISSED"
        print(
            f"{name:<20} {calls:>5} {plain * 1000:>9.2f} {plait * 1000:>9.2f} {overhead:>12.2f}"
            f" {per_call:>9.2f}  {verdict}"
        )


if __name__ == "__main__":
    main()
