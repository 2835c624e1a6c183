"""The golden fixtures (tests/fixtures/golden/): runs and specs written by a release must be
loaded and resumed by every later one; a store or spec from a newer plait is refused
with a message saying to upgrade."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from examples import approval, digest, triage
from plait import SpecError, load
from plait.engine import SQLiteStore, StoreError, resume
from tests.fixtures.golden import graphs

pytestmark = pytest.mark.anyio

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "golden"


@pytest.fixture
def runs(tmp_path: Path) -> Path:
    """A copy of the golden store (resuming writes to it)."""
    return Path(shutil.copyfile(GOLDEN / "runs.sqlite", tmp_path / "runs.sqlite"))


async def test_the_golden_waiting_run_resumes_with_its_answer(runs: Path) -> None:
    async with SQLiteStore(runs) as store:
        answer = {"approve": {"approved": True}}
        result = await resume(approval.graph, "golden-approval", store=store, answers=answer)
    assert result.status == "succeeded"
    assert result.output == "sent: refund of 30 EUR for order 1042"


async def test_the_golden_failed_map_resumes_only_its_failed_item(
    runs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(graphs, "broken", set())
    measured: list[str] = []
    monkeypatch.setattr(graphs, "measured", measured)
    async with SQLiteStore(runs) as store:
        result = await resume(graphs.links(), "golden-links", store=store)
    assert result.status == "succeeded"
    assert result.output == [9, 10, 9]
    assert measured == ["c.example"]  # the two committed items were not run again


@pytest.mark.parametrize("module", [approval, digest, triage], ids=lambda m: m.__name__)
def test_the_golden_specs_load_to_the_same_graphs(module: object) -> None:
    name = module.graph.name  # type: ignore[attr-defined]
    graph = load(GOLDEN / "specs" / f"{name}.json", module.registry)  # type: ignore[attr-defined]
    assert graph.content_hash == module.graph.content_hash  # type: ignore[attr-defined]


async def test_a_store_from_a_newer_plait_is_refused_saying_to_upgrade(runs: Path) -> None:
    with sqlite3.connect(runs) as connection:
        connection.execute("UPDATE plait_schema SET version = version + 1")
    connection.close()
    with pytest.raises(StoreError, match="newer than the version 6 this plait writes: upgrade"):
        await SQLiteStore(runs).open()
    with pytest.raises(StoreError, match="upgrade plait"):
        await SQLiteStore(runs).migrate()


def test_a_spec_from_a_newer_plait_is_refused_saying_so() -> None:
    data = json.loads((GOLDEN / "specs" / "approval.json").read_text())
    data["plait"] = "2"
    with pytest.raises(SpecError, match="a newer plait may read this one"):
        load(data, approval.registry)
