"""A run that writes shared memory, then adds texts to a SQLite vector index: killed
after the vectors are stored but before the node committed, then resumed.

Run as a script by ``test_memory_crash.py``: ``python memory_crash_graph.py run|resume
DB LOG BACKEND``. The vector index lives in the checkpoint store's file. Each node writes
its name to LOG when it runs; ``learn`` writes ``added`` once its vectors are stored and
then pauses, so a kill lands between the vector write and the node's commit.
"""

from __future__ import annotations

import sys
from pathlib import Path

import anyio

from plait import Graph, GraphBuilder, Key, RunContext, RunOptions, node
from plait.engine import open_store, resume
from plait.nodes import HashingEmbedder, SQLiteVectorIndex, VectorMemory

NOTES = Key("notes", list[str], scope="thread")
FACTS = {"tea": "Ada drinks green tea every morning", "cat": "Ada's cat is called Babbage"}
MEMORY: list[VectorMemory] = []
LOG: list[Path] = []


def _write(line: str) -> None:
    with LOG[0].open("a") as log:
        log.write(line + "\n")


@node
async def note(ctx: RunContext, thread: str) -> int:
    assert ctx.shared is not None
    _write("note")
    notes = [*await ctx.shared.get(NOTES, []), "met Ada"]
    await ctx.shared.set(NOTES, notes)
    return len(notes)


@node
async def learn(count: int) -> int:
    _write("learn")
    await MEMORY[0].add(list(FACTS), list(FACTS.values()), [{"source": "chat"}] * len(FACTS))
    _write("added")
    await anyio.sleep(0.5)
    return await MEMORY[0].index.count()


@node
async def recall(ctx: RunContext, stored: int) -> str:
    assert ctx.shared is not None
    [hit] = await MEMORY[0].search("what is the cat's name", k=1)
    notes: list[str] = await ctx.shared.get(NOTES, [])
    return f"{stored} {hit.id} {notes}"


def build() -> Graph[str]:
    builder = GraphBuilder("remember", inputs={"thread": str})
    count = builder.add(note, inputs={"thread": "inputs.thread"})
    stored = builder.add(learn, inputs={"count": count})
    return builder.build(builder.add(recall, inputs={"stored": stored}))


async def main(command: str, database: str, log: str) -> None:
    LOG.append(Path(log))
    store = open_store(f"sqlite:///{database}")
    await store.open()
    try:
        async with SQLiteVectorIndex(database, "facts", dimension=64) as index:
            MEMORY.append(VectorMemory(index, HashingEmbedder(64)))
            if command == "run":
                options = RunOptions(store=store, run_id="remember-1", lease=0.5)
                result = await build().run({"thread": "ada"}, options=options)
            else:
                options = RunOptions(lease=0.5)
                result = await resume(build(), "remember-1", store=store, options=options)
        print(result.output if result.error is None else f"error: {result.error}", flush=True)
    finally:
        await store.close()


if __name__ == "__main__":
    command, database, log, backend = sys.argv[1:5]
    anyio.run(main, command, database, log, backend=backend)
