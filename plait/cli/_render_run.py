"""What ``plait render RUN_ID`` draws: a stored run's graph, coloured by its checkpoints.

The graph is the one ``--graph`` (or ``plait.yaml``'s ``graphs:``) names, when it is the
graph the run ran (same content hash); otherwise the description the store keeps with the
run, drawn as an outline. Statuses come from what the store kept: a committed output is
``succeeded`` (``cached`` when it came from the result cache), a failed attempt without
one ``failed``, an open question ``waiting``; a node with none of these was ``skipped``
in a succeeded run, else ``pending``.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from plait.cli._graph_name import named_graph
from plait.cli._settings import Settings, open_store
from plait.cli._usage import RUN_FAILED, CliError
from plait.graphs import Outline

if TYPE_CHECKING:
    from plait.engine import RunRecord, Store
    from plait.graphs import Graph

__all__ = ["StoredNode", "StoredRun", "stored_run"]


@dataclass(frozen=True, slots=True)
class StoredNode:
    """One node's part in a stored run, as the overlay reads it."""

    status: str
    attempts: int


@dataclass(frozen=True, slots=True)
class StoredRun:
    """A stored run, as the overlay reads it (a ``plait.visual.RunView``)."""

    nodes: Mapping[str, StoredNode]


async def stored_run(
    run_id: str, args: argparse.Namespace, config: Settings
) -> tuple[Graph[object] | Outline, StoredRun]:
    """The graph of run ``run_id`` in the store ``--store`` names, and its statuses.

    Raises:
        CliError: code 2 when the run is not in the store or ``--graph`` is bad; code 1
            when the store fails, ``--graph`` names another graph, or a record is corrupt.
    """
    from plait.engine import StoreError

    url = config.store_url(args.store)
    store = await open_store(url)
    try:
        loaded = await store.load(run_id)
        record = None if loaded is None else loaded.run
        if record is None:
            raise CliError(
                f"`{run_id}` is not a run in store {url} (TARGET is module:attribute, a "
                "JSON spec file, or the RUN_ID of a stored run: see `plait runs`)"
            )
        graph = _graph(record, args, config)
        ids = [node.id for node in graph.nodes] if isinstance(graph, Outline) else graph.nodes
        return graph, await _statuses(store, record, ids)
    except StoreError as error:
        raise CliError(str(error), RUN_FAILED) from None
    finally:
        await store.close()


def _graph(
    record: RunRecord, args: argparse.Namespace, config: Settings
) -> Graph[object] | Outline:
    target = args.graph or config.config.graphs.get(record.graph)
    if target is None:
        try:
            return Outline.from_description(json.loads(record.canonical))
        except (ValueError, AttributeError) as error:
            raise CliError(f"run {record.run_id}: {error}", RUN_FAILED) from None
    graph = named_graph(target, args.imports, config)
    if graph.content_hash != record.content_hash:
        raise CliError(
            f"run {record.run_id} ran another version of graph `{record.graph}` than "
            f"`{target}` defines now (content hash {record.content_hash[:12]}, now "
            f"{graph.content_hash[:12]}); leave out --graph to draw the graph the run stored",
            RUN_FAILED,
        )
    return graph


async def _statuses(store: Store, record: RunRecord, ids: Iterable[str]) -> StoredRun:
    from plait.engine import StoredStatus
    from plait.ui._data import served_from_cache

    loaded = await store.load(record.run_id)
    outputs = {} if loaded is None else loaded.outputs
    failed: dict[str, int] = {}
    for failure in () if loaded is None else loaded.failures:
        failed[failure.node] = max(failed.get(failure.node, 0), failure.attempt)
    waiting = {
        item.node for item in (() if loaded is None else loaded.interrupts) if item.answer is None
    }
    unrun = "skipped" if record.status is StoredStatus.SUCCEEDED else "pending"
    nodes: dict[str, StoredNode] = {}
    for node_id in ids:
        if node_id in outputs:
            attempt = outputs[node_id].attempt
            status = "cached" if served_from_cache(record, attempt) else "succeeded"
            nodes[node_id] = StoredNode(status, attempt)
        elif node_id in failed:
            nodes[node_id] = StoredNode("failed", failed[node_id])
        elif node_id in waiting:
            nodes[node_id] = StoredNode("waiting", 1)
        else:
            nodes[node_id] = StoredNode(unrun, 0)
    return StoredRun(nodes)
