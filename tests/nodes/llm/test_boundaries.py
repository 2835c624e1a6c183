"""Each SDK lives behind one module; the LLM side loads lazily; the public types hold."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Literal, assert_type

from plait.nodes import AgentNode, Tool, agent, tool

ROOT = Path(__file__).resolve().parents[3]
IMPORT = re.compile(r"^\s*(?:import|from)\s+(anthropic|openai|yaml|httpx2?|pydantic)\b", re.M)


def test_each_third_party_library_is_imported_in_exactly_one_module() -> None:
    homes: dict[str, set[str]] = {}
    for path in sorted((ROOT / "nodes").rglob("*.py")):
        for name in IMPORT.findall(path.read_text(encoding="utf-8")):
            homes.setdefault(name, set()).add(path.relative_to(ROOT / "nodes").as_posix())

    assert homes["anthropic"] == {"llm/providers/_anthropic.py"}
    assert homes["openai"] == {"llm/providers/_openai.py"}
    assert homes["yaml"] == {"llm/_yaml.py"}
    assert homes["pydantic"] == {"_values.py"}
    assert "httpx" not in homes
    assert homes["httpx2"] == {"llm/providers/_clients.py"}  # the SDKs' connection limits


def test_defining_agents_loads_no_sdk() -> None:
    code = (
        "import sys\n"
        "from plait.nodes import agent, tool, ModelCatalog, PlaybackModel, load_history\n"
        "agent('a', model='sonnet')\n"
        "print(','.join(m for m in ('anthropic', 'openai', 'yaml', 'httpx2') if m in sys.modules))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )

    assert completed.stdout.strip() == ""


def test_public_types() -> None:
    def shout(text: str, times: int = 1) -> str:
        """Shout."""
        return text.upper() * times

    assert_type(agent("a", model="passthrough"), AgentNode[str])
    assert_type(agent("b", model="passthrough", output=int), AgentNode[int])
    assert_type(agent("c", model="passthrough", output=Literal["x", "y"]), AgentNode[object])
    shouting = tool(shout)
    assert isinstance(shouting, Tool)
    assert assert_type(shouting("a", 2), str) == "AA"  # calling a tool calls the function
