"""Smoke test of benchmarks/run.py: it runs tiny workloads and writes well-formed records."""

import importlib
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

RUN = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"
WORKLOADS = {"W1", "W2", "W2m", "W3", "W5", "W6"}
KEYS = {"workload", "engine", "n", "median_s", "per_node_us", "peak_rss_mb"}


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(RUN), *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _engines() -> set[str]:
    try:
        importlib.import_module("langgraph")
    except ImportError:
        return {"floor", "plait"}
    return {"floor", "plait", "langgraph"}


@pytest.mark.slow
def test_quick_run_writes_one_record_per_workload_and_engine(tmp_path: Path) -> None:
    """Every (workload, engine) pair gets exactly one record with the documented keys."""
    out = tmp_path / "bench.json"
    completed = _run("--quick", "--scale", "0.01", "--json", str(out))
    assert completed.returncode == 0, completed.stderr
    records = json.loads(out.read_text(encoding="utf-8"))
    pairs = sorted((record["workload"], record["engine"]) for record in records)
    expected = [(workload, engine) for workload in WORKLOADS for engine in _engines()]
    expected += [("W4", "floor"), ("W4", "floor_thread"), ("W4", "plait"), ("W4", "plait_async")]
    if importlib.util.find_spec("pydantic_graph") is not None:
        expected.append(("W1", "pydantic_graph"))
    assert pairs == sorted(expected)
    for record in records:
        if record["workload"] == "W4":  # checkpoints: the database size rides along
            assert record.pop("db_bytes") > 0
        if record["workload"] == "W1" and sys.platform == "linux":  # each engine alone
            assert record.pop("fresh_peak_rss_mb") > 0
        assert set(record) == KEYS
        assert isinstance(record["n"], int)
        assert record["n"] >= 2
        for key in ("median_s", "per_node_us", "peak_rss_mb"):
            assert isinstance(record[key], float)
            assert record[key] > 0


@pytest.mark.slow
def test_only_runs_the_named_workloads(tmp_path: Path) -> None:
    """``--only w6`` (any case) writes W6 records alone."""
    out = tmp_path / "bench.json"
    completed = _run("--quick", "--scale", "0.001", "--only", "w6", "--json", str(out))
    assert completed.returncode == 0, completed.stderr
    records = json.loads(out.read_text(encoding="utf-8"))
    assert {record["workload"] for record in records} == {"W6"}


def test_an_unknown_workload_is_a_usage_error() -> None:
    """``--only W9`` exits 2 and names the bad value."""
    completed = _run("--only", "W9")
    assert completed.returncode == 2
    assert "W9" in completed.stderr
