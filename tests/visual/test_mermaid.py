"""Mermaid flowchart text: snapshots, shapes, safe ids, and determinism."""

from __future__ import annotations

import re
from typing import Literal

from syrupy.assertion import SnapshotAssertion

from examples.digest import graph as digest
from plait import GraphBuilder, node
from plait.visual import to_mermaid

from . import sample_graphs

ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def test_digest(mermaid_snapshot: SnapshotAssertion) -> None:
    text = to_mermaid(digest)
    assert text.startswith("---\ntitle: digest\n---\nflowchart LR\n")
    assert '    n_plan -->|"queries: Queries"| n_search_web\n' in text
    assert text == mermaid_snapshot


def test_digest_top_to_bottom_without_edge_labels(mermaid_snapshot: SnapshotAssertion) -> None:
    text = to_mermaid(digest, direction="TB", edge_labels=False)
    assert "flowchart TB" in text
    assert "-->|" not in text
    assert text == mermaid_snapshot


def test_every_kind(mermaid_snapshot: SnapshotAssertion) -> None:
    text = to_mermaid(sample_graphs.every_kind_graph())
    assert '    n_triage{"<b>triage</b>' in text
    assert '    n_triage -.->|"bug"| n_fix' in text
    assert '    n_reply[\\"<b>reply</b>' in text
    assert '    subgraph c_research["<b>research</b><br/>subgraph research"]' in text
    assert "map over note (≤ 20, 4 at a time)" in text
    assert text == mermaid_snapshot


def test_field_edges(mermaid_snapshot: SnapshotAssertion) -> None:
    text = to_mermaid(sample_graphs.field_graph())
    assert '    n_fetch -->|"body → text: str"| n_summarise' in text
    assert text == mermaid_snapshot


def test_ids_are_safe_and_labels_escaped() -> None:
    @node(id="end")
    def finish(text: str) -> str:
        return text

    @node(id="my-step")
    def step(text: str) -> str:
        return text

    builder = GraphBuilder("tricky", inputs={"text": str})
    first = builder.add(step, inputs={"text": "inputs.text"})
    builder.add(finish, inputs={"text": first})
    text = to_mermaid(builder.build("end"))
    for name in re.findall(r"^\s+(\S+?)[\[({]", text, re.MULTILINE):
        assert ID.match(name), name
        assert name != "end"
    assert "n_my_step" in text
    assert "n_end" in text


def test_quotes_and_angle_brackets_in_labels_are_escaped() -> None:
    @node
    def greet(name: str) -> Literal['say "hi" <now>']:
        return 'say "hi" <now>'

    builder = GraphBuilder("escapes", inputs={"name": str})
    text = to_mermaid(builder.build(builder.add(greet, inputs={"name": "inputs.name"})))
    assert "Literal['say #quot;hi#quot; #lt;now#gt;']" in text
    assert 'say "hi"' not in text
