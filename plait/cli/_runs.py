"""``plait runs`` lists the stored runs, newest first; ``plait runs show RUN_ID`` shows one.

Both print a table, or with ``--json`` one JSON document. A run whose records cannot be
read is one ``plait: error: run ID: ...`` line on stderr; the other runs still list, and
the command exits 1.
"""

from __future__ import annotations

import argparse
import contextlib
import heapq
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar

from plait.cli._runs_status import status_filter
from plait.cli._runs_usage import (
    USAGE_HEADER,
    UnreadableUsageError,
    print_usage,
    stored_usage,
    usage_columns,
)
from plait.cli._settings import add_store_option, open_store, settings
from plait.cli._usage import RUN_FAILED, CliError, checked_run_id

if TYPE_CHECKING:
    from plait.engine import RunRecord, Store
    from plait.nodes import UsageTotal

__all__ = ["add_runs_parser", "graph_order", "runs_command"]

ParserT = TypeVar("ParserT", bound=argparse.ArgumentParser)

EVERY_RUN = sys.maxsize
"""The store's limit for ``--limit 0``, and when a filter has to see every run."""


def _limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected 0 (every run) or more, got {text!r}")
    return value


def add_runs_parser(commands: argparse._SubParsersAction[ParserT]) -> None:
    """Add ``runs`` (and ``runs show RUN_ID``) to ``commands``."""
    runs = commands.add_parser(
        "runs",
        help="list stored runs, or show one",
        description="List the stored runs, newest first: id, graph, status, start, duration, "
        "nodes done, tokens and cost; `plait runs show RUN_ID` shows one run node by node, "
        "in graph order (each node after those it depends on), with each node's usage.",
        allow_abbrev=False,
    )
    add_store_option(runs)
    runs.add_argument(
        "--limit",
        metavar="N",
        type=_limit,
        default=20,
        help="list at most N runs (default: 20; 0: every run)",
    )
    runs.add_argument(
        "--status",
        metavar="STATUS",
        default=None,
        help="only runs with this status: running, interrupted (its process died or "
        "stalled: resume it), waiting, succeeded, failed, cancelled",
    )
    runs.add_argument(
        "--graph", metavar="NAME", default=None, help="only runs of the graph named NAME"
    )
    runs.add_argument("--json", action="store_true", help="print one JSON document")
    runs.add_argument("action", nargs="?", choices=("show",), help="show one run")
    runs.add_argument("run_id", nargs="?", metavar="RUN_ID")


def runs_command(args: argparse.Namespace) -> int:
    """``plait runs`` or ``plait runs show RUN_ID``."""
    import anyio

    url = settings().store_url(args.store)
    if args.action == "show":
        if args.run_id is None:
            raise CliError("plait runs show needs a RUN_ID (`plait runs` lists them)")
        run_id = checked_run_id(args.run_id)
    elif args.run_id is not None:
        raise CliError(f"unexpected {args.run_id!r}: did you mean `plait runs show`?")

    async def work() -> int:
        store = await open_store(url)
        try:
            if args.action == "show":
                return await _show(store, run_id, as_json=args.json)
            return await _list(store, args)
        finally:
            await store.close()

    return anyio.run(work)


def _when(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat()


def _duration(record: RunRecord) -> float | None:
    """Start to last change; None while running (a crashed run never records its end)."""
    if record.status.value == "running":  # or interrupted
        return None
    return max(0.0, record.updated_at - record.created_at)


def _description(record: RunRecord) -> Mapping[str, object]:
    """The run's stored graph description.

    Raises:
        ValueError: when it is not a JSON object.
    """
    described = json.loads(record.canonical)
    if not isinstance(described, dict):
        raise ValueError("it is not a JSON object")
    return described


def graph_order(description: Mapping[str, object]) -> list[str]:
    """The top-level node ids of a stored graph description, each after those it depends
    on (through an edge or a router), ties in name order.

    Raises:
        ValueError: when the description's nodes are not a list of ``{"id": ...}``.
    """
    entries = description.get("nodes", [])
    if not isinstance(entries, list) or not all(
        isinstance(entry, dict) and "id" in entry for entry in entries
    ):
        raise ValueError("its `nodes` are not a list of {id: ...}")
    nodes = [str(entry["id"]) for entry in entries]
    before: dict[str, set[str]] = {node: set() for node in nodes}
    edges = description.get("edges", [])
    for edge in edges if isinstance(edges, list) else []:
        source, _, target = str(edge).partition(" -> ")
        first, then = source.partition(".")[0], target.partition(".")[0]
        if first in before and then in before and first != then:
            before[then].add(first)
    routes = description.get("routes", {})
    for router, table in routes.items() if isinstance(routes, dict) else ():
        for targets in table.values() if isinstance(table, dict) else ():
            for target in targets if isinstance(targets, list) else ():
                if str(target) in before and router in before:
                    before[str(target)].add(router)
    ready = [node for node in nodes if not before[node]]
    heapq.heapify(ready)
    ordered: list[str] = []
    while ready:
        node = heapq.heappop(ready)
        ordered.append(node)
        for other, needs in before.items():
            if node in needs:
                needs.discard(node)
                if not needs:
                    heapq.heappush(ready, other)
    return ordered + sorted(set(nodes) - set(ordered))


@dataclass(frozen=True, slots=True)
class _Row:
    record: RunRecord
    done: int
    total: int
    spent: UsageTotal
    status: str

    def document(self) -> dict[str, object]:
        record = self.record
        return {
            "run_id": record.run_id,
            "graph": record.graph,
            "status": self.status,
            "started": _iso(record.created_at),
            "duration": _duration(record),
            "nodes_done": self.done,
            "nodes_total": self.total,
            "parent_run": record.parent_run,
            "error": record.error,
            "usage": self.spent.to_dict(),
        }

    def line(self) -> str:
        from plait.cli._progress import format_duration

        record = self.record
        seconds = _duration(record)
        took = "-" if seconds is None else format_duration(seconds)
        return (
            f"{record.run_id:26}  {record.graph[:16]:16}  {self.status:11}  "
            f"{_when(record.created_at)}  {took:>9}  {f'{self.done}/{self.total}':>5}  "
            f"{usage_columns(self.spent)}"
        )


async def _records(
    store: Store, args: argparse.Namespace
) -> tuple[Sequence[RunRecord], dict[str, str]]:
    from plait.engine import StoreError, shown_statuses

    status = status_filter(args.status)
    wanted = args.limit or EVERY_RUN
    filtered = status is not None or args.graph is not None
    try:
        records = await store.list_runs(EVERY_RUN if filtered else wanted)
        records = [record for record in records if args.graph in (None, record.graph)]
        shown = await shown_statuses(store, records)
    except StoreError as error:
        raise CliError(f"cannot list the runs: {error}", RUN_FAILED) from None
    chosen = [record for record in records if status in (None, shown[record.run_id])]
    return chosen[:wanted], shown


async def _list(store: Store, args: argparse.Namespace) -> int:
    from plait.engine import StoreError

    rows: list[_Row] = []
    unreadable = 0
    records, shown = await _records(store, args)
    for record in records:
        try:
            total = len(graph_order(_description(record)))
            loaded = await store.load(record.run_id)
            # Top-level nodes only: items and inner nodes are kept under `each[3]/fetch`.
            done = 0 if loaded is None else sum("/" not in name for name in loaded.outputs)
            spent, _ = stored_usage(loaded)
        except (StoreError, UnreadableUsageError) as error:  # they name the run and node
            _unreadable(record.run_id, str(error))
            unreadable += 1
            continue
        except ValueError as error:
            _unreadable(record.run_id, f"its stored graph description is unreadable: {error}")
            unreadable += 1
            continue
        rows.append(_Row(record, done, total, spent, shown[record.run_id]))
    if args.json:
        print(json.dumps([row.document() for row in rows], indent=2))
    else:
        heads = f"{'RUN':26}  {'GRAPH':16}  {'STATUS':11}  {'STARTED':19}  {'DURATION':>9}"
        print(f"{heads}  {'NODES':>5}  {USAGE_HEADER}")
        for row in rows:
            print(row.line())
        if not rows and not unreadable:
            print("(no runs)")
    return RUN_FAILED if unreadable else 0


def _unreadable(run_id: str, message: str) -> None:
    prefix = f"run {run_id}: "
    text = message if message.startswith(prefix) else prefix + message
    print(f"plait: error: {text}", file=sys.stderr, flush=True)


async def _show(store: Store, run_id: str, *, as_json: bool) -> int:
    from plait.engine import StoreError, shown_statuses
    from plait.nodes import UsageTotal

    loaded = await store.load(run_id)

    record = None if loaded is None else loaded.run
    if record is None:
        raise CliError(f"run {run_id} is not in the store (`plait runs` lists the stored runs)")
    try:
        order = graph_order(_description(record))
        nodes = await _node_states(store, record, order)
        status = (await shown_statuses(store, [record]))[run_id]
        spent, found = stored_usage(loaded)
        by_node = {node: found[node] for node in order if node in found}
    except StoreError as error:
        raise CliError(str(error), RUN_FAILED) from None
    except UnreadableUsageError as error:
        raise CliError(f"run {run_id}: {error}", RUN_FAILED) from None
    except ValueError as error:
        message = f"run {run_id}: its stored graph description is unreadable: {error}"
        raise CliError(message, RUN_FAILED) from None
    if as_json:
        done = sum(node.status == "done" for node in nodes)
        summary = _Row(record, done, len(order), spent, status)
        none = UsageTotal()
        documents = [
            {**node.document(), "usage": by_node.get(node.node, none).to_dict()} for node in nodes
        ]
        print(json.dumps({**summary.document(), "nodes": documents}, indent=2))
    else:
        _print_show(record, status, nodes)
        print_usage(spent, by_node)
    return 0


@dataclass(frozen=True, slots=True)
class _NodeState:
    node: str
    status: str
    """done, waiting, failed or not run."""
    failures: Sequence[str] = ()
    attempt: int | None = None
    finished_after: float | None = None
    """Seconds from the run's start to the commit of the node's output."""
    output: str | None = None
    """The committed output, as stored (JSON text)."""
    question: str | None = None

    def document(self) -> dict[str, object]:
        output: object = self.output
        if self.output is not None:
            with contextlib.suppress(ValueError):  # shown as stored when it is not JSON
                output = json.loads(self.output)
        return {
            "node": self.node,
            "status": self.status,
            "attempt": self.attempt,
            "finished_after": self.finished_after,
            "output": output,
            "question": self.question,
            "failures": list(self.failures),
        }

    def line(self) -> str:
        if self.status == "done" and self.output is not None:
            value = self.output
            shown = value if len(value) <= 60 else value[:57] + "..."
            return f"  {self.node}: done (attempt {self.attempt}) -> {shown}"
        if self.status == "waiting":
            return f"  {self.node}: waiting -- {self.question}"
        if self.status == "failed":
            return f"  {self.node}: failed after {len(self.failures)}: {self.failures[-1]}"
        return f"  {self.node}: not run"


async def _node_states(store: Store, record: RunRecord, order: Sequence[str]) -> list[_NodeState]:
    """Each node's state, output, question and failures, in ``order``."""
    loaded = await store.load(record.run_id)
    outputs = {} if loaded is None else loaded.outputs
    failures: dict[str, list[str]] = {}
    for failure in () if loaded is None else loaded.failures:
        failures.setdefault(failure.node, []).append(f"{failure.error_type}: {failure.message}")
    questions = {item.node: item for item in (() if loaded is None else loaded.interrupts)}
    nodes: list[_NodeState] = []
    for name in order:
        failed = failures.get(name, [])
        if name in outputs:
            output = outputs[name]
            state = _NodeState(
                name,
                "done",
                failed,
                attempt=output.attempt,
                finished_after=max(0.0, output.created_at - record.created_at),
                output=output.data.decode("utf-8", errors="replace"),
            )
        elif name in questions and questions[name].answer is None:
            state = _NodeState(name, "waiting", failed, question=questions[name].question)
        else:
            state = _NodeState(name, "failed" if failed else "not run", failed)
        nodes.append(state)
    return nodes


def _print_show(record: RunRecord, status: str, nodes: Sequence[_NodeState]) -> None:
    from plait.cli._progress import format_duration

    seconds = _duration(record)
    took = "" if seconds is None else f"  took {format_duration(seconds)}"
    print(
        f"run {record.run_id}  graph {record.graph}  status {status}  "
        f"started {_when(record.created_at)}{took}"
    )
    if record.parent_run:
        print(f"forked from {record.parent_run}")
    if record.error:
        print(f"error: {record.error}")
    for node in nodes:
        print(node.line())
