"""Tokens and cost in ``plait runs`` and ``plait runs show`` (table and ``--json``), priced
by ``plait.yaml``'s ``pricing``; a call replayed by a resumed run counts once."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import pytest

from plait import RunOptions
from plait.cli import main
from plait.engine import SQLiteStore, resume

from . import cli_usage_graphs

ROOT = Path(__file__).resolve().parents[2]
TARGET = "tests.cli.cli_usage_graphs"
PRICES = """\
pricing:
  acme.small: {input: 1.0, output: 4.0, cached_input: 0.5}
  acme.large: {input: 10, output: 30}
"""
SMALL_COST = (600 * 1.0 + 400 * 0.5 + 100 * 4.0) / 1_000_000
LARGE_COST = (20_000 * 10 + 3000 * 30) / 1_000_000
TOTAL = {
    "calls": 3,
    "input_tokens": 22_000,
    "output_tokens": 3200,
    "cache_read_tokens": 800,
    "cache_write_tokens": 0,
    "reasoning_tokens": 0,
    "requests": 3,
}


@pytest.fixture(autouse=True)
def _in_a_fresh_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(ROOT))
    (tmp_path / "plait.yaml").write_text(PRICES)


def _run(capsys: pytest.CaptureFixture[str], graph: str = "graph") -> str:
    assert main(["run", f"{TARGET}:{graph}", "--input", '{"question": "Where?"}', "--json"]) == 0
    run_id: str = json.loads(capsys.readouterr().out)["run_id"]
    return run_id


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> object:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def _cost(document: object) -> object:
    assert isinstance(document, dict)
    usage = document["usage"]
    assert isinstance(usage, dict)
    return usage.pop("cost")


def test_runs_lists_each_runs_tokens_and_cost(capsys: pytest.CaptureFixture[str]) -> None:
    _run(capsys)

    rows = _json(capsys, "runs")

    assert isinstance(rows, list)
    [row] = rows
    assert _cost(row) == pytest.approx(2 * SMALL_COST + LARGE_COST)
    assert row["usage"] == TOTAL
    assert main(["runs"]) == 0
    header, line = capsys.readouterr().out.splitlines()
    assert header.split()[-2:] == ["TOKENS", "COST"]
    assert line.split()[-2:] == ["25,200", f"${2 * SMALL_COST + LARGE_COST:.4f}"]


def test_runs_show_gives_each_nodes_usage_and_the_total(
    capsys: pytest.CaptureFixture[str],
) -> None:
    run_id = _run(capsys)

    shown = _json(capsys, "runs", "show", run_id)

    assert isinstance(shown, dict)
    assert _cost(shown) == pytest.approx(2 * SMALL_COST + LARGE_COST)
    support, summarise = shown["nodes"]
    assert _cost(support) == pytest.approx(2 * SMALL_COST)
    assert support["usage"]["calls"] == 2
    assert support["usage"]["input_tokens"] == 2000
    assert _cost(summarise) == pytest.approx(LARGE_COST)
    assert summarise["usage"]["output_tokens"] == 3000
    assert main(["runs", "show", run_id]) == 0
    table = capsys.readouterr().out.split("usage:\n")[1].splitlines()
    assert [line.split() for line in table] == [
        ["NODE", "CALLS", "INPUT", "OUTPUT", "CACHED", "COST"],
        ["support", "2", "2,000", "200", "800", f"${2 * SMALL_COST:.4f}"],
        ["summarise", "1", "20,000", "3,000", "0", f"${LARGE_COST:.4f}"],
        ["total", "3", "22,000", "3,200", "800", f"${2 * SMALL_COST + LARGE_COST:.4f}"],
    ]


def test_a_model_without_a_price_shows_a_dash_and_null(
    capsys: pytest.CaptureFixture[str],
) -> None:
    run_id = _run(capsys, "unpriced")

    shown = _json(capsys, "runs", "show", run_id)

    assert isinstance(shown, dict)
    assert _cost(shown) is None
    assert [_cost(node) for node in shown["nodes"]] == [pytest.approx(2 * SMALL_COST), None]
    assert main(["runs"]) == 0
    assert capsys.readouterr().out.splitlines()[1].split()[-1] == "\N{EN DASH}"
    assert main(["runs", "show", run_id]) == 0
    assert capsys.readouterr().out.splitlines()[-1].split()[-1] == "\N{EN DASH}"


def test_a_price_in_plait_yaml_changes_the_cost(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "plait.yaml").write_text(PRICES.replace("input: 10,", "input: 20,"))
    run_id = _run(capsys)

    shown = _json(capsys, "runs", "show", run_id)

    assert _cost(shown) == pytest.approx(2 * SMALL_COST + LARGE_COST + 20_000 * 10 / 1_000_000)


@pytest.mark.parametrize(
    ("pricing", "problem"),
    [
        ("acme.small: {input: cheap, output: 4}", "$.pricing.acme.small.input: expected US "
         "dollars per million tokens (a number, 0 or more), got 'cheap'"),
        ("acme.small: {input: 1, outptu: 4}", "$.pricing.acme.small: unknown key `outptu` "
         "(did you mean `output`?)"),
        ("small: {input: 1, output: 4}", "$.pricing.small: expected a model as "
         "provider.model"),
    ],
)  # fmt: skip
def test_a_bad_price_is_one_clear_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, pricing: str, problem: str
) -> None:
    (tmp_path / "plait.yaml").write_text(f"pricing:\n  {pricing}\n")

    assert main(["runs"]) == 2

    error = capsys.readouterr().err
    assert error.startswith("plait: error: plait.yaml: ")
    assert problem in error
    assert "Traceback" not in error


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_a_resumed_run_shows_its_replayed_calls_once(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, backend: str
) -> None:
    database = tmp_path / "runs.db"

    async def run_then_resume() -> str:
        store = SQLiteStore(database)
        await store.open()
        try:
            graph = cli_usage_graphs.failing_once()
            failed = await graph.run({"question": "Where?"}, options=RunOptions(store=store))
            assert not failed.ok
            result = await resume(graph, failed.run_id, store=store)
            assert result.ok
            assert result.nodes["support"].usage.requests == 2
            return result.run_id
        finally:
            await store.close()

    run_id = anyio.run(run_then_resume, backend=backend)

    shown = _json(capsys, "runs", "show", run_id, "--store", f"sqlite:///{database}")

    assert isinstance(shown, dict)
    assert _cost(shown) == pytest.approx(2 * SMALL_COST + LARGE_COST)
    assert shown["usage"] == TOTAL
