"""Smoke test of benchmarks/spec_load.py: it loads a spec beside W6 and prints the figures."""

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "spec_load.py"


def test_spec_load_benchmark_runs_and_reports_both_paths() -> None:
    completed = subprocess.run(
        [sys.executable, str(SCRIPT), "--nodes", "300", "--repetitions", "1"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "300-node chain" in completed.stdout
    assert "W6 build()" in completed.stdout
    assert "spec load (text -> compiled graph)" in completed.stdout
