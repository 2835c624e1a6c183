"""The viewer's pages as text: what each URL shows, independent of the web framework.

``_app`` turns requests into calls here and the text returned into responses.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import anyio

from plait.ui._actions import Actions
from plait.ui._data import TERMINAL, duration, node_ids, node_statuses, runs_page, usage_of
from plait.ui._diagrams import Drawings
from plait.ui._graphs import Graphs
from plait.ui._inspect import node_facts, pretty
from plait.ui._security import Guard
from plait.ui._templates import Templates

if TYPE_CHECKING:
    from plait.engine import RunRecord, Store, StoredRun

__all__ = ["NotFoundError", "Viewer"]

STATUSES = ("running", "interrupted", "waiting", "succeeded", "failed", "cancelled")


class NotFoundError(LookupError):
    """No such run (or node); the message says which."""


@dataclass
class Viewer:
    """Everything the pages read: the store, the graphs, the templates, the actions."""

    store: Store
    guard: Guard
    actions: Actions
    drawings: Drawings
    templates: Templates
    graphs: Graphs
    poll: float = 0.5
    """Seconds between two looks at a live run's records."""

    async def stored(self, run_id: str) -> StoredRun:
        """The run ``run_id``.

        Raises:
            NotFoundError: when the store has no such run.
        """
        found = await self.store.load(run_id)
        if found is None:
            raise NotFoundError(f"run {run_id} is not in the store")
        return found

    async def status(self, record: RunRecord) -> str:
        """The run's status as shown: ``interrupted`` for a ``running`` run whose
        process is gone (``plait.engine.shown_statuses``, as ``plait runs`` shows it)."""
        from plait.engine import shown_statuses

        return (await shown_statuses(self.store, [record]))[record.run_id]

    async def runs(self, query: Mapping[str, str], csrf: str) -> str:
        """The runs list, filtered and paged by ``query`` (status, graph, q, page)."""
        status = query.get("status") or None
        if status not in (None, *STATUSES):
            status = None
        page_text = query.get("page", "1")
        page = int(page_text) if page_text.isdigit() else 1
        found = await runs_page(
            self.store,
            status=status,
            graph=query.get("graph") or None,
            search=query.get("q") or None,
            page=page,
        )
        filters = {key: query.get(key, "") for key in ("status", "graph", "q")}
        return self.templates.render(
            "runs.html",
            page=found,
            filters=filters,
            statuses=STATUSES,
            csrf=csrf,
            title="Runs",
        )

    async def run(self, run_id: str, node: str | None, csrf: str) -> str:
        """A run's page: summary, actions, diagram, nodes, and ``node`` inspected."""
        stored = await self.stored(run_id)
        record = stored.run
        ids = node_ids(record.canonical)
        statuses = node_statuses(stored, ids)
        usage = {name: usage_of(stored.journal, name) for name in ids}
        facts = node_facts(stored, node, statuses) if node in statuses else None
        questions = [
            (item, pretty(item.schema)) for item in stored.interrupts if item.answer is None
        ]
        return self.templates.render(
            "run.html",
            record=record,
            run_status=await self.status(record),
            duration=duration(record),
            usage=usage_of(stored.journal),
            nodes=[(name, statuses[name], usage[name]) for name in ids],
            attempts=_attempts(stored),
            facts=facts,
            questions=questions,
            note=self.actions.notes.get(run_id),
            ours=run_id in self.actions.running,
            resumable=record.graph in self.graphs.names(),
            csrf=csrf,
            title=f"Run {run_id}",
        )

    async def node(self, run_id: str, node: str) -> str:
        """The inspector of one node, as a part of a page.

        Raises:
            NotFoundError: when the run or the node is not there.
        """
        stored = await self.stored(run_id)
        ids = node_ids(stored.run.canonical)
        if node not in ids:
            raise NotFoundError(f"run {run_id} has no node `{node}`")
        facts = node_facts(stored, node, node_statuses(stored, ids))
        return self.templates.render("node.html", facts=facts)

    async def diagram(self, run_id: str) -> str:
        """The run's diagram as SVG, coloured by what the store holds now."""
        stored = await self.stored(run_id)
        statuses = node_statuses(stored, node_ids(stored.run.canonical))
        return await self.drawings.run_svg(stored.run, statuses)

    async def snapshot(self, run_id: str) -> dict[str, object]:
        """What a live page updates: the run's status, its nodes' statuses and usage."""
        stored = await self.stored(run_id)
        usage = usage_of(stored.journal)
        return {
            "status": await self.status(stored.run),
            "nodes": node_statuses(stored, node_ids(stored.run.canonical)),
            "tokens": usage.tokens,
            "ours": run_id in self.actions.running,
        }

    async def events(self, run_id: str) -> AsyncIterator[str]:
        """Server-sent events: an ``update`` whenever the run's records change, then
        ``end`` once it has ended (or waits) and this server is not running it."""
        last: dict[str, object] | None = None
        while True:
            try:
                now = await self.snapshot(run_id)
            except NotFoundError:
                yield "event: end\ndata: {}\n\n"
                return
            if now != last:
                yield f"event: update\ndata: {json.dumps(now)}\n\n"
                last = now
            if now["status"] in TERMINAL and not now["ours"]:
                yield "event: end\ndata: {}\n\n"
                return
            await anyio.sleep(self.poll)

    async def graph(self, target: str | None, csrf: str, error: str | None = None) -> str:
        """The graph page: a form for a target, and the diagram of ``target``."""
        from plait.ui._actions import ActionError
        from plait.ui._templates import trusted_svg
        from plait.visual import RenderError

        svg: object = None
        if target and error is None:
            try:
                svg = trusted_svg(await self.drawings.graph_svg(self.graphs.target(target)))
            except (ActionError, RenderError) as problem:
                error = str(problem)
        return self.templates.render(
            "graph.html",
            target=target or "",
            names=self.graphs.names(),
            svg=svg,
            error=error,
            csrf=csrf,
            title="Graph",
        )

    def problem(self, status: int, message: str) -> str:
        """An error page."""
        return self.templates.render(
            "error.html", status=status, message=message, title="Error", csrf=""
        )


def _attempts(stored: StoredRun) -> dict[str, int]:
    found: dict[str, int] = {}
    for failure in stored.failures:
        found[failure.node] = max(found.get(failure.node, 0), failure.attempt)
    for name, output in stored.outputs.items():
        found[name] = max(found.get(name, 0), output.attempt)
    return found
