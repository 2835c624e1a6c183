"""``plait render SPEC.json`` with no registry draws agent patterns as grey frames around
their parts by name (nested patterns framed in turn), never as the shapes of other kinds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import plait.cli
from plait.graphs import outline
from plait.visual import to_dot, to_mermaid

from .conftest import DotCheck

GREY_FRAME = 'color="#6b7280" fillcolor="#f3f4f6"'

SPEC = {
    "plait": "1",
    "name": "desk",
    "inputs": {"message": "str"},
    "output": "desk",
    "nodes": [
        {
            "id": "desk",
            "kind": "router",
            "model": "openai:gpt-4.1",
            "agents": ["research", {"graph": "panel"}],
            "inputs": {"message": "inputs.message"},
        }
    ],
    "graphs": {
        "panel": {
            "inputs": {"message": "str"},
            "output": "panel",
            "nodes": [
                {
                    "id": "panel",
                    "kind": "parallel",
                    "fan_out": ["research", "write"],
                    "fan_in": "editor",
                    "inputs": {"message": "inputs.message"},
                }
            ],
        }
    },
}


def _cluster_line(text: str, cluster: str) -> str:
    lines = text.splitlines()
    (index,) = (i for i, line in enumerate(lines) if line.strip() == f"subgraph {cluster} {{")
    return lines[index + 1]


def test_a_pattern_spec_renders_as_grey_frames_of_its_parts(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, assert_dot_parses: DotCheck
) -> None:
    spec = tmp_path / "desk.json"
    spec.write_text(json.dumps(SPEC), encoding="utf-8")
    out = tmp_path / "desk.dot"
    assert plait.cli.main(["render", str(spec), "-o", str(out)]) == 0
    assert capsys.readouterr().err == ""
    text = out.read_text(encoding="utf-8")
    assert text == to_dot(outline(SPEC))
    assert "diamond" not in text  # the router pattern is no router node
    frame = _cluster_line(text, "cluster_desk")
    assert GREY_FRAME in frame
    assert "<b>desk</b>" in frame
    assert ">router<" in frame
    inner = _cluster_line(text, '"cluster_desk/agents.1/panel"')
    assert GREY_FRAME in inner
    assert ">parallel<" in inner
    for box, name in (
        ("desk/agents.0", "research"),
        ("desk/agents.1/panel/fan_out.0", "research"),
        ("desk/agents.1/panel/fan_out.1", "write"),
        ("desk/agents.1/panel/fan_in.2", "editor"),
    ):
        (line,) = (row for row in text.splitlines() if row.strip().startswith(f'"{box}" ['))
        assert f"<b>{name}</b>" in line
        assert GREY_FRAME in line
    assert '"inputs.message" -> "desk/agents.0"' in text
    assert "legend.unresolved" in text
    assert "pattern (not imported)" in text
    assert_dot_parses(text)


def test_a_pattern_spec_renders_as_mermaid_too() -> None:
    text = to_mermaid(outline(SPEC))
    assert 'subgraph c_desk["<b>desk</b><br/>router"]' in text
    assert "style c_desk fill:#f3f4f6,stroke:#6b7280" in text
    assert 'n_desk__agents_1__panel__fan_in_2["<b>editor</b><br/>fan_in"]' in text
