"""Smoke test of benchmarks/mcp_calls.py: it runs and prints the three figures the MCP
issue names beside their targets (no timed assertion)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.nodes.mcp.conftest import ROOT


@pytest.mark.slow
def test_the_benchmark_prints_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "mcp.json"
    script = ROOT / "benchmarks" / "mcp_calls.py"
    command = [sys.executable, str(script), "--quick", "--calls", "5", "--json", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert "(target <= 1.1x: " in done.stdout
    assert "(target <= 200 us: " in done.stdout
    assert "100 parallel" in done.stdout
    assert "start-up time" in done.stdout
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert {"plait_call_s", "bare_call_s", "plait_parallel_s", "start_time_plait_s"} <= set(figures)
