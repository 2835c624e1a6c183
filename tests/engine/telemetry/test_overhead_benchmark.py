"""Smoke test of benchmarks/otel_overhead.py: it runs tiny workloads and reports each one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[3] / "benchmarks" / "otel_overhead.py"


def test_the_benchmark_reports_every_workload_and_variant(tmp_path: Path) -> None:
    out = tmp_path / "otel.json"
    sizes = ["--repetitions", "1", "--n", "20", "--agents", "2", "--w7", "2"]
    completed = subprocess.run(
        [sys.executable, str(SCRIPT), *sizes, "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    rows = json.loads(out.read_text())
    assert {(row["workload"], row["variant"]) for row in rows} == {
        (workload, variant)
        for workload in (
            "W1 chain of 20",
            "agents x2, LLM in 0 ms",
            "agents x2, LLM in 50 ms",
            "W7 x2 anthropic, LLM in 0 ms",
            "W7 x2 anthropic, LLM in 50 ms",
        )
        for variant in ("bare", "no-op listener", "OpenTelemetry")
    }
    spans = {row["workload"]: row["spans_per_run"] for row in rows if row["spans_per_run"]}
    assert spans == {  # a run span, a span per node; per agent 2 LLM calls and a tool call
        "W1 chain of 20": 21,
        "agents x2, LLM in 0 ms": 1 + 2 * 4 + 1,
        "agents x2, LLM in 50 ms": 1 + 2 * 4 + 1,
        "W7 x2 anthropic, LLM in 0 ms": 1 + 2 * 2 + 1,  # per agent one LLM call
        "W7 x2 anthropic, LLM in 50 ms": 1 + 2 * 2 + 1,
    }
    floors = [row["floor_ms"] for row in rows if row["variant"] == "OpenTelemetry"]
    assert len(floors) == 5
    assert all(floor > 0 for floor in floors)
    assert "<= 10%" in completed.stdout
    assert "SDK floor" in completed.stdout
