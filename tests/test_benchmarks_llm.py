"""Smoke test of benchmarks/llm_calls.py (W7): tiny N, both providers, well-formed rows."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

RUN = Path(__file__).resolve().parent.parent / "benchmarks" / "llm_calls.py"


def _langgraph_with(provider: str) -> bool:
    integration = {"anthropic": "langchain_anthropic", "openai": "langchain_openai"}[provider]
    return all(importlib.util.find_spec(name) for name in ("langgraph", integration))


@pytest.mark.slow
def test_w7_runs_every_provider_shape_and_delay(tmp_path: Path) -> None:
    out = tmp_path / "w7.json"
    completed = subprocess.run(
        [sys.executable, str(RUN), "--quick", "--n", "3", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    rows = json.loads(out.read_text(encoding="utf-8"))
    keys = sorted((row["provider"], row["delay_ms"], row["shape"]) for row in rows)
    assert keys == sorted(
        (provider, delay, shape)
        for provider in ("anthropic", "openai")
        for delay, shapes in ((50, ("parallel", "map", "stream")), (0, ("parallel", "map")))
        for shape in shapes
    )
    for row in rows:
        assert row["n"] == 3
        assert row["bare_s"] > 0
        assert row["plait_s"] > 0
        assert isinstance(row["overhead_us"], float)
        streamed = row["shape"] == "stream"
        assert (row["plait_ttft_s"] is not None) is streamed
        rival = _langgraph_with(row["provider"])  # the bench extra's LangGraph, beside them
        assert (row["langgraph_s"] is not None) is rival
        assert (row["langgraph_ttft_s"] is not None) is (rival and streamed)
        if streamed:  # the first token arrives after the server's delay, before the end
            assert 0.05 <= row["plait_ttft_s"] < row["plait_s"]
            assert 0.05 <= row["bare_ttft_s"] < row["bare_s"]
            if rival:
                assert 0.05 <= row["langgraph_ttft_s"] < row["langgraph_s"]
    assert "ratio" in completed.stdout
    assert "| provider | shape | delay |" in completed.stdout  # the README's table
    assert "fake server: " in completed.stdout  # its requests and CPU, to show it kept up


def test_a_bad_n_is_a_usage_error() -> None:
    completed = subprocess.run(
        [sys.executable, str(RUN), "--n", "0"], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 2
    assert "--n" in completed.stderr
