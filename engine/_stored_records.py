"""Decoding what a run row holds (its inputs, its graph description) and its committed
outputs, failing typed, and the graph description a new run row stores.

A record that passed its store's seal can still hold bytes this plait cannot read (a
record re-sealed by hand, a bug in an older release): that is a ``CorruptRecordError``
naming the run and the record, never a ``JSONDecodeError`` or ``UnicodeDecodeError``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from plait.engine.stores._codec import DecodeError, decode
from plait.engine.stores._protocol import CorruptRecordError, OutputRecord, RunRecord
from plait.engine.traces._paths import GraphIndex
from plait.graphs import Graph

__all__ = ["decoded_inputs", "decoded_outputs", "described", "stored_description"]

_DESCRIPTIONS: dict[str, str] = {}
"""The last few graphs' descriptions by content hash (a 1000-node graph's JSON costs as
much as a few hundred no-op steps, and every run of the graph stores the same text)."""
_KEEP = 32


def described(graph: Graph[object]) -> str:
    """The graph's canonical description as a run row stores it (JSON, keys sorted).

    Equal content hashes mean equal canonical descriptions, so the text is made once."""
    key = graph.content_hash
    text = _DESCRIPTIONS.get(key)
    if text is None:
        text = json.dumps(dict(graph.canonical()), sort_keys=True)
        if len(_DESCRIPTIONS) >= _KEEP:
            del _DESCRIPTIONS[next(iter(_DESCRIPTIONS))]
        _DESCRIPTIONS[key] = text
    return text


def decoded_inputs(run_id: str, kinds: Mapping[str, object], data: bytes) -> dict[str, object]:
    """A run's stored inputs, decoded against the graph's input types (``kinds``).

    Raises:
        CorruptRecordError: when they are not a JSON object, or an input does not decode.
    """
    try:
        raw = json.loads(data)
        if not isinstance(raw, dict):
            raise ValueError(f"a JSON {type(raw).__name__}, not an object")
        return {
            name: decode(json.dumps(raw[name]).encode(), kind)
            for name, kind in kinds.items()
            if name in raw
        }
    except (ValueError, DecodeError) as error:  # JSONDecodeError, UnicodeDecodeError
        reason = f"they do not decode: {error}"
        raise CorruptRecordError(run_id, "", reason, record="run inputs") from None


def stored_description(record: RunRecord) -> dict[str, object]:
    """The run's stored graph description.

    Raises:
        CorruptRecordError: when it is not a JSON object.
    """
    try:
        described = json.loads(record.canonical)
    except ValueError as error:
        reason = f"it is not JSON: {error}"
        raise CorruptRecordError(record.run_id, "", reason, record="graph description") from None
    if not isinstance(described, dict):
        reason = f"it is a JSON {type(described).__name__}, not an object"
        raise CorruptRecordError(record.run_id, "", reason, record="graph description")
    return described


def decoded_outputs(
    run_id: str, graph: Graph[object], outputs: Mapping[str, OutputRecord]
) -> dict[str, object]:
    """The committed outputs, by node path, decoded against their nodes' types.

    Inner nodes are kept under their paths (``each[3]/fetch``, ``sub/check``,
    ``again[2]/draft``); a path the graph does not have is left out.

    Raises:
        CorruptRecordError: when an output does not decode to its node's type.
    """
    restored: dict[str, object] = {}
    index: GraphIndex | None = None
    for name, record in outputs.items():
        node = graph.nodes.get(name)
        if node is None and "/" in name:
            index = index or GraphIndex(graph)
            located = index.locate(name)
            node = None if located is None else located.step.node
        if node is None:
            continue
        try:
            restored[name] = decode(record.data, node.output)
        except DecodeError as error:
            raise CorruptRecordError(run_id, name, str(error)) from None
    return restored
