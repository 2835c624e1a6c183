"""The W4 chain checkpointed by LangGraph (SQLite saver) and Burr (SQLite persister).

Each is skipped, saying so, when its package is not importable.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path

__all__ = ["rivals"]

Run = Callable[[], Awaitable[object]]


async def rivals(folder: Path, n: int, stack: AsyncExitStack) -> dict[str, Run]:
    """``{"langgraph": run, "burr": run}``, for those importable; ``stack`` closes them."""
    found: dict[str, Run] = {}
    for name, make in (("langgraph", _langgraph), ("burr", _burr)):
        try:
            found[name] = await make(folder, n, stack)
        except ImportError as error:
            print(f"{name} skipped: {error} (pip install langgraph-checkpoint-sqlite burr)")
    return found


async def _langgraph(folder: Path, n: int, stack: AsyncExitStack) -> Run:
    import aiosqlite
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
    from workloads_langgraph import define_chain

    connection = await aiosqlite.connect(folder / "langgraph.sqlite")
    stack.push_async_callback(connection.close)  # its thread, before the loop ends
    saver = AsyncSqliteSaver(connection)
    compiled = define_chain(n).compile(checkpointer=saver)
    threads = itertools.count()

    async def run() -> object:
        config = {"recursion_limit": n + 10, "configurable": {"thread_id": str(next(threads))}}
        state = await compiled.ainvoke({"x": 1}, config, durability="sync")
        return state["x"]

    return run


async def _burr(folder: Path, n: int, _stack: AsyncExitStack) -> Run:
    from burr.core import ApplicationBuilder, State, action
    from burr.core.persistence import SQLLitePersister

    @action(reads=["x"], writes=["x"])  # type: ignore[untyped-decorator]
    def step(state: State) -> State:
        return state.update(x=state["x"])

    persister = SQLLitePersister(db_path=str(folder / "burr.sqlite"), table_name="burr_state")
    persister.initialize()
    names = [f"n{index}" for index in range(n)]
    apps = itertools.count()

    async def run() -> object:
        application = (
            ApplicationBuilder()
            .with_actions(**dict.fromkeys(names, step))
            .with_transitions(*itertools.pairwise(names))
            .with_state(x=1)
            .with_entrypoint(names[0])
            .with_identifiers(app_id=f"app{next(apps)}")
            .with_state_persister(persister)
            .build()
        )
        _, _, state = application.run(halt_after=[names[-1]])
        return state["x"]

    return run
