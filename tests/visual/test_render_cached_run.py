"""``plait render RUN_ID`` (and the ui's statuses) mark a stored run's cache hits: an output
committed as attempt 0 in a run that is no fork came from the result cache."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import pytest

import plait.cli
from plait.engine import SQLiteStore
from plait.ui._data import node_ids, node_statuses

ROOT = Path(__file__).resolve().parents[2]
CACHED_FILL = 'fillcolor="#ccfbf1"'


@pytest.fixture(autouse=True)
def _in_a_fresh_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(ROOT))


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    assert plait.cli.main([*argv, "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert isinstance(found, dict)
    return found


def _line(dot: str, node_id: str) -> str:
    (line,) = (row for row in dot.splitlines() if row.strip().startswith(f"{node_id} ["))
    return line


def _statuses(path: Path, run_id: str) -> dict[str, str]:
    async def read() -> dict[str, str]:
        store = SQLiteStore(path)
        await store.open()
        try:
            stored = await store.load(run_id)
        finally:
            await store.close()
        assert stored is not None
        return node_statuses(stored, node_ids(stored.run.canonical))

    return anyio.run(read)


def test_a_stored_runs_cache_hits_are_drawn_cached_and_a_forks_copies_are_not(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "runs.db"
    store = f"sqlite:///{path}"
    run = ["run", "examples.cached:graph", "--input", '{"text": "a b"}', "--store", store]
    first = str(_json(capsys, *run)["run_id"])
    second = str(_json(capsys, *run)["run_id"])
    forked = str(
        _json(
            capsys,
            "fork",
            second,
            "--graph",
            "examples.cached:graph",
            "--at",
            "count",
            "--store",
            store,
        )["run_id"]
    )

    drawn = {}
    for run_id in (first, second, forked):
        out = tmp_path / f"{run_id}.dot"
        assert plait.cli.main(["render", run_id, "--store", store, "-o", str(out)]) == 0
        drawn[run_id] = out.read_text(encoding="utf-8")
    capsys.readouterr()

    assert CACHED_FILL not in drawn[first]
    assert CACHED_FILL in _line(drawn[second], "parse")
    assert CACHED_FILL not in _line(drawn[second], "count")
    assert CACHED_FILL not in drawn[forked]  # attempt 0 there is a copy: not claimed
    assert _statuses(path, first) == {"parse": "succeeded", "count": "succeeded"}
    assert _statuses(path, second) == {"parse": "cached", "count": "succeeded"}
    assert _statuses(path, forked) == {"parse": "succeeded", "count": "succeeded"}
