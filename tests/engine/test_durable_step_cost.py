"""What a durable step no longer pays for, with its behaviour kept: an event loop turn per
commit (a chain still lets others run), the retry loop (failures still recorded), the
graph's description made again for every run (what a run row stores is unchanged)."""

from __future__ import annotations

from pathlib import Path

import anyio
import anyio.lowlevel
import pytest

from plait import Graph, GraphBuilder, Node, RunOptions, RunStatus, node
from plait.engine._group_commit import TURN_EVERY
from plait.engine._stored_records import described, stored_description
from plait.engine.stores._sqlite import SQLiteStore

pytestmark = pytest.mark.anyio

STEPS = 200


@node
async def add_one(x: int) -> int:
    return x + 1


@node
async def broken(x: int) -> int:
    raise RuntimeError(f"no luck with {x}")


def _chain(steps: int, last: Node[int] = add_one, first: Node[int] = add_one) -> Graph[int]:
    builder = GraphBuilder("chain", inputs={"x": int})
    source = builder.add(first, id="first", inputs={"x": "inputs.x"})
    for index in range(steps):
        source = builder.add(add_one, id=f"n{index}", inputs={"x": source})
    return builder.build(builder.add(last, id="last", inputs={"x": source}))


async def _ticks_during(steps: int, store: SQLiteStore) -> tuple[int, int]:
    """Run a chain of ``steps`` beside a task counting the loop turns it gets between the
    chain's first node and its last (the run's start and end wait on the store's thread,
    and the ticker spins meanwhile); return (output, ticks)."""
    ticks = 0
    seen: list[int] = []
    done = False

    @node
    async def mark(x: int) -> int:
        seen.append(ticks)
        return x + 1

    async def ticker() -> None:
        nonlocal ticks
        while not done:
            await anyio.lowlevel.checkpoint()
            ticks += 1

    graph = _chain(steps, last=mark, first=mark)
    async with anyio.create_task_group() as group:
        group.start_soon(ticker)
        result = await graph.run({"x": 0}, options=RunOptions(store=store, durability="sync"))
        done = True
    assert result.status is RunStatus.SUCCEEDED, result
    return result.output, seen[1] - seen[0]


async def test_a_chain_turns_the_loop_every_few_commits_not_every_one(tmp_path: Path) -> None:
    async with SQLiteStore(tmp_path / "runs.db") as store:
        output, ticks = await _ticks_during(STEPS, store)
        stored = await store.list_runs()

    assert output == STEPS + 2
    assert [run.status.value for run in stored] == ["succeeded"]
    # one turn a commit before: the ticker ran STEPS times; now once every TURN_EVERY
    # commits, and not less often: it is not starved
    assert STEPS // TURN_EVERY - 1 <= ticks <= STEPS // 2, ticks


async def test_a_failed_direct_step_is_recorded_and_the_outputs_before_it_kept(
    tmp_path: Path,
) -> None:
    async with SQLiteStore(tmp_path / "runs.db") as store:
        options = RunOptions(store=store, run_id="r")
        result = await _chain(5, broken).run({"x": 0}, options=options)
        stored = await store.load("r")

    assert result.status is RunStatus.FAILED
    assert stored is not None
    assert {"first"} | {f"n{index}" for index in range(5)} == set(stored.outputs)
    assert [(item.node, item.attempt, item.error_type) for item in stored.failures] == [
        ("last", 1, "RuntimeError")
    ]


async def test_runs_of_one_graph_store_one_description_made_once(tmp_path: Path) -> None:
    async with SQLiteStore(tmp_path / "runs.db") as store:
        for run_id in ("a", "b"):
            await _chain(3).run({"x": 0}, options=RunOptions(store=store, run_id=run_id))
        first, second = await store.load("a"), await store.load("b")
        other = await _chain(4).run({"x": 0}, options=RunOptions(store=store, run_id="c"))
        third = await store.load(other.run_id)

    assert first is not None
    assert second is not None
    assert third is not None
    assert described(_chain(3)) is described(_chain(3))  # made once for the content hash
    assert stored_description(first.run) == stored_description(second.run)
    assert stored_description(first.run) == dict(_chain(3).canonical())
    assert stored_description(third.run) == dict(_chain(4).canonical())
