"""Building and compiling a graph loads only what compiling needs, and stays small."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# Each is needed later or elsewhere (running, specs, the CLI, diagrams, providers), never to
# build: networkx alone added ~14 MB when compiling used it (docs/adr-009-graph-algorithms.md).
NOT_FOR_BUILDING = (
    "networkx",
    "pydantic",
    "rich",
    "yaml",
    "graphviz",
    "anthropic",
    "openai",
    "httpx2",
    "psycopg",
    "trio",
)

BUILD_A_CHAIN = """
import json, sys
from pathlib import Path

def peak_mb():
    # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so it would be pytest's peak
    status = Path("/proc/self/status")
    if not status.exists():
        return 0.0
    line = next(line for line in status.read_text().splitlines() if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024

import plait
from plait import GraphBuilder, GraphDefinitionError

imported = peak_mb()

async def step(x: int) -> int:
    return x

STEP = plait.node(step)
builder = GraphBuilder("chain", inputs={"x": int})
last = builder.add(STEP, id="n0", inputs={"x": "inputs.x"})
for index in range(1, 1000):
    last = builder.add(STEP, id=f"n{index}", inputs={"x": last})
graph = builder.build(last)

cyclic = GraphBuilder("cyclic", inputs={"x": int})
cyclic.add(STEP, id="a", inputs={"x": "b"})
cyclic.add(STEP, id="b", inputs={"x": "a"})
try:
    cyclic.build("b")
except GraphDefinitionError as error:
    codes = sorted({problem.code for problem in error.problems})
print(json.dumps({
    "nodes": len(graph.nodes),
    "codes": codes,
    "loaded": sorted(name for name in HEAVY if name in sys.modules),
    "imported_mb": imported,
    "built_mb": peak_mb(),
}))
"""


def _build_in_a_fresh_process() -> dict[str, object]:
    code = f"HEAVY = {list(NOT_FOR_BUILDING)!r}\n{BUILD_A_CHAIN}"
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    result: dict[str, object] = json.loads(completed.stdout)
    return result


def test_building_and_compiling_a_thousand_node_chain_loads_no_heavy_dependency() -> None:
    result = _build_in_a_fresh_process()

    assert result["nodes"] == 1000
    assert "cycle" in str(result["codes"])
    assert result["loaded"] == []


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads Linux's VmHWM")
def test_building_a_thousand_node_chain_adds_under_ten_megabytes() -> None:
    result = _build_in_a_fresh_process()
    imported, built = result["imported_mb"], result["built_mb"]
    assert isinstance(imported, float)
    assert isinstance(built, float)

    assert built - imported < 10, f"import {imported:.1f} MB, then built {built:.1f} MB"
