"""Tool calls waiting for a person: their questions, and the decisions given on resume.

An agent whose tool call needs approval raises ``ApprovalPendingError``; the step then
waits like a human node, with one question per waiting call, keyed ``node/call-N`` and
recorded with the key ``approval:<tool>``. A decision given to ``resume`` is checked
against the tool and journaled (kind ``approval``) under the question's key, where the
agent finds it when the run goes on. A decision, once journaled, is final.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

from plait.engine._durable import Question
from plait.engine._events import NodeWaiting
from plait.engine._step_values import WAITING
from plait.engine.stores._codec import encode
from plait.engine.stores._protocol import InterruptRecord, JournalRecord, Store
from plait.graphs import Graph
from plait.nodes import (
    AgentNode,
    ApprovalPendingError,
    JournalEntry,
    RunError,
    Secrets,
    decision_from,
)

if TYPE_CHECKING:
    from plait.engine._scheduler import Scheduler

__all__ = ["APPROVAL_PREFIX", "decided", "wait_for_approval"]

APPROVAL_PREFIX = "approval:"
"""How an approval's question record is told from a human node's (its ``key``)."""


async def wait_for_approval(
    scheduler: Scheduler, path: str, pending: ApprovalPendingError
) -> object:
    """Ask each waiting call's question (once per run) and return ``WAITING``.

    Raises:
        ApprovalPendingError: for an agent inside a subgraph, map or loop (top-level only
            for now, as human nodes).
    """
    if scheduler.parent is not None:
        raise pending
    checkpoint = scheduler.checkpoint
    for request in pending.requests:
        question = Question(request.key, request.question, request.schema)
        scheduler.questions.append(question)
        if checkpoint is not None and request.key not in checkpoint.asked:
            checkpoint.asked.add(request.key)
            record = InterruptRecord(
                scheduler.run_id,
                request.key,
                APPROVAL_PREFIX + request.tool,
                request.question,
                json.dumps(dict(request.schema)),
                None,
                checkpoint.wall(),
            )
            put = checkpoint.store.put_interrupt(record, lease=checkpoint.held)
            await checkpoint.write(f"record the question of `{request.key}`", put)
        if scheduler.listeners:
            scheduler.emit(NodeWaiting, node=path, question=f"{request.key}: {request.question}")
    return WAITING


async def decided(
    store: Store,
    graph: Graph[object],
    asked: InterruptRecord | None,
    value: object,
    wall: float,
    secrets: Secrets,
) -> bool:
    """Journal the decision ``value`` on the tool call ``asked`` is about; False when
    ``asked`` is not a tool call's question (nothing done).

    Raises:
        RunError: when the call was already decided, or its agent or tool is gone.
        ValueError: when ``value`` is not a decision that fits the tool (the run still
            waits: nothing is written).
    """
    if asked is None or not asked.key.startswith(APPROVAL_PREFIX):
        return False
    run_id, key = asked.run_id, asked.node
    path = key.rsplit("/call-", 1)[0]
    stored = await store.load(run_id)
    if stored is not None and any(c.node == key and c.kind == "approval" for c in stored.journal):
        raise RunError(f"run {run_id}: `{key}` was already decided", run_id=run_id)
    node = graph.nodes.get(path)
    name = asked.key.removeprefix(APPROVAL_PREFIX)
    found = (
        [item for item in node.tools if item.name == name] if isinstance(node, AgentNode) else []
    )
    if not found:
        raise RunError(
            f"run {run_id}: `{key}` asks about tool `{name}` of agent `{path}`, which the "
            "graph no longer has",
            run_id=run_id,
        )
    schema = json.loads(asked.schema)
    call_arguments = schema.get("properties", {}).get("arguments", {}).get("default", {})
    decision = decision_from(key, found[0], call_arguments, value)
    request = secrets.mask_json(encode({"key": key, "tool": name, "arguments": call_arguments}))
    response = secrets.mask_json(encode(decision.to_data()))
    digest = hashlib.sha256(request).hexdigest()
    entry = JournalEntry(key, 0, "approval", digest, request, response)
    await store.put_journal(run_id, [JournalRecord.of(run_id, entry, wall)])
    answered = InterruptRecord(run_id, key, asked.key, asked.question, asked.schema, response, wall)
    await store.put_interrupt(answered)
    return True
