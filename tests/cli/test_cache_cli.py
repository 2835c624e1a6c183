"""plait run with the result cache, --no-cache, --cache URL and plait cache clear."""

from __future__ import annotations

from pathlib import Path

import pytest

from plait.cli import main

ROOT = Path(__file__).resolve().parents[2]
TARGET = "tests.cli.cli_cache_graphs:graph"


@pytest.fixture(autouse=True)
def _in_a_fresh_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(ROOT))


def _executions() -> int:
    calls = Path("calls.txt")
    return len(calls.read_text().splitlines()) if calls.exists() else 0


def _run(capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    assert main(["run", TARGET, "--input", '{"x": 7}', *extra]) == 0
    return capsys.readouterr().out.strip()


def test_a_second_run_reuses_the_cached_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(capsys) == "square: 49"
    assert _run(capsys) == "square: 49"
    assert _executions() == 1
    assert _run(capsys, "--no-store") == "square: 49"  # the cache outlives --no-store
    assert _executions() == 1


def test_no_cache_runs_every_node(capsys: pytest.CaptureFixture[str]) -> None:
    _run(capsys)
    _run(capsys, "--no-cache")
    assert _executions() == 2
    _run(capsys)  # --no-cache neither read nor wrote: the first entry still serves
    assert _executions() == 2


def test_cache_clear_removes_a_graphs_outputs(capsys: pytest.CaptureFixture[str]) -> None:
    _run(capsys)
    assert main(["cache", "clear", "--graph", "other"]) == 0
    assert capsys.readouterr().out.strip() == "removed 0 cached outputs of graph `other`"
    assert main(["cache", "clear", "--graph", "cached"]) == 0
    assert capsys.readouterr().out.strip() == "removed 1 cached output of graph `cached`"
    _run(capsys)
    assert _executions() == 2
    assert main(["cache", "clear"]) == 0
    assert capsys.readouterr().out.strip() == "removed 1 cached output"


def test_a_cache_of_its_own_url(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/cache.db"
    _run(capsys, "--cache", url)
    _run(capsys)  # the default cache (the store's file) does not have it
    assert _executions() == 2
    _run(capsys, "--cache", url)
    assert _executions() == 2
    assert main(["cache", "clear", "--cache", url]) == 0
    assert "removed 1 cached output" in capsys.readouterr().out


def test_a_cache_url_without_a_backend_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", TARGET, "--input", '{"x": 7}', "--cache", "mongodb://localhost:27017/runs"])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("plait: error: --cache: cache URL `mongodb://localhost:27017/runs`")
    assert len(err.splitlines()) == 1
    assert "sqlite:///" in err
    assert _executions() == 0
