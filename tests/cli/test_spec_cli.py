"""``plait validate``, ``plait schema`` and ``plait run SPEC.json``: outputs and exit codes."""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import plait
import plait.cli
from plait.graphs import spec_schema

ROOT = Path(__file__).resolve().parents[2]
DIGEST = "examples/digest.json"
TOPIC = '{"topic": "graph engines"}'


@pytest.fixture(autouse=True)
def at_root(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Run from the repository root, as the README's commands do."""
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield
    sys.modules.pop("spec_cli_module", None)


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = plait.cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_validate_prints_one_summary_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "validate", DIGEST, "--import", "examples.digest")
    assert code == 0
    assert out == (
        "examples/digest.json: graph `digest` is valid: 5 nodes, 7 edges, "
        "at most 5 node executions (7 attempts)\n"
    )
    assert err == ""


def test_validate_json(capsys: pytest.CaptureFixture[str]) -> None:
    from examples.digest import graph

    code, out, _ = run_cli(capsys, "validate", DIGEST, "--import", "examples.digest", "--json")
    assert code == 0
    document = json.loads(out)
    assert document["valid"] is True
    assert document["content_hash"] == graph.content_hash
    assert document["bound"] == {"executions": 5, "attempts": 7}


@pytest.mark.parametrize("path", sorted((ROOT / "examples").glob("*.json")), ids=lambda p: p.name)
def test_every_example_spec_validates_with_its_module(
    capsys: pytest.CaptureFixture[str], path: Path
) -> None:
    module = f"examples.{path.stem}"
    code, out, err = run_cli(capsys, "validate", str(path.relative_to(ROOT)), "--import", module)
    assert (code, err) == (0, "")
    assert "is valid" in out


@pytest.mark.parametrize("path", sorted((ROOT / "examples").glob("*.json")), ids=lambda p: p.name)
def test_every_example_spec_is_the_dump_of_its_python_graph(path: Path) -> None:
    """The committed JSON cannot drift from the Python definition."""
    module = importlib.import_module(f"examples.{path.stem}")
    assert path.read_text(encoding="utf-8") == plait.dump(module.graph, module.registry)


def _write(tmp_path: Path, document: object) -> str:
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


BROKEN = {
    "plait": "1",
    "name": "broken",
    "inputs": {"topic": "str"},
    "output": "write",
    "nodes": [
        {
            "id": "plan",
            "kind": "function",
            "function": "plann",
            "inputs": {"topic": "inputs.topic"},
        },
        {
            "id": "write",
            "kind": "function",
            "function": "write",
            "retyr": 2,
            "inputs": {"queries": "plan"},
        },
    ],
}


def test_validate_lists_every_problem_and_exits_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    spec = _write(tmp_path, BROKEN)
    code, out, err = run_cli(capsys, "validate", spec, "--import", "examples.digest")
    assert code == 1
    assert out == ""
    assert err.startswith(f"plait: error: spec `{spec}` has 1 problem:\n")
    assert "[unknown-field] $.nodes[1].retyr: `retyr` is not a field of a `function` node" in err

    fixed = {**BROKEN, "nodes": [BROKEN["nodes"][0], {**BROKEN["nodes"][1], "retyr": None}]}  # type: ignore[index]
    del fixed["nodes"][1]["retyr"]  # type: ignore[index]
    code, out, err = run_cli(
        capsys, "validate", _write(tmp_path, fixed), "--import", "examples.digest", "--json"
    )
    assert code == 1
    problems = json.loads(out)["problems"]
    assert [(p["code"], p["location"]) for p in problems] == [
        ("unknown-function", "$.nodes[0].function"),
        ("missing-input", "$.nodes[1].inputs.findings"),
    ]
    assert problems[0]["hint"] == "did you mean `plan`?"


def test_validate_without_the_registry_names_what_is_missing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run_cli(capsys, "validate", DIGEST)
    assert code == 1
    assert err.count("[unknown-function]") == 5
    assert "--import MODULE" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["validate", "missing.json"], "spec file `missing.json` not found"),
        (["validate", "examples"], "spec `examples` is a directory"),
        (["validate", DIGEST, "--import", "examples.nowhere"], "module `examples.nowhere` of"),
        (["validate", DIGEST, "--import", "examples"], "has no attribute `registry`"),
        (["validate", DIGEST, "--import", "examples.digest:graph"], "non-Registry attribute"),
        (["validate", DIGEST, "--import", "a b"], "--import takes `module`"),
        (["run", "examples.digest:graph", "--import", "examples.digest"], "Python target"),
        (
            ["run", DIGEST, "--import", "examples.digest", "--input", '{"topik": "x"}'],
            "unknown input `topik`",
        ),
    ],
)
def test_usage_errors_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run_cli(capsys, *argv)
    assert code == 2
    assert out == ""
    assert message in err


def test_a_module_attribute_can_name_the_registry(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "spec_cli_module.py").write_text(
        "from examples.digest import registry as mine\n", encoding="utf-8"
    )
    shutil.copy(ROOT / DIGEST, tmp_path / "digest.json")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli(capsys, "validate", "digest.json", "--import", "spec_cli_module:mine")
    assert code == 0
    assert "is valid" in out


def test_schema_prints_the_generated_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "schema")
    assert code == 0
    assert json.loads(out) == spec_schema()


def test_run_a_spec(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(
        capsys, "run", DIGEST, "--import", "examples.digest", "--input", TOPIC, "--json"
    )
    assert code == 0
    document = json.loads(out)
    assert document["status"] == "succeeded"
    assert document["output"]["title"] == "Digest: graph engines"


def test_the_installed_command_end_to_end() -> None:
    executable = shutil.which("plait")
    assert executable is not None
    for argv in (
        ["validate", DIGEST, "--import", "examples.digest"],
        ["schema"],
        ["run", DIGEST, "--import", "examples.digest", "--input", TOPIC, "--json"],
    ):
        completed = subprocess.run(
            [executable, *argv], cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        assert completed.returncode == 0, completed.stderr
        assert completed.stdout.strip()
    help_text = subprocess.run(
        [executable, "--help"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "validate" in help_text
    assert "schema" in help_text
