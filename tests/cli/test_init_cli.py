"""``plait init``: a starter project that runs and passes its own test at once, offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import plait.cli

BIN = Path(sys.executable).parent
STARTER_FILES = {
    "plait.yaml",
    ".gitignore",
    "pyproject.toml",
    "hello.py",
    "tests/test_hello.py",
    "tests/__snapshots__/test_hello/test_the_trace_matches_its_snapshot.trace.json",
}


def files_in(directory: Path) -> set[str]:
    return {
        path.relative_to(directory).as_posix()
        for path in directory.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


def clean_environment() -> dict[str, str]:
    """The environment without this test session's pytest, plait and provider settings."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PYTEST_", "PLAIT_", "PYTHONPATH"))
        and not name.endswith("_API_KEY")
    }


def command(name: str) -> str:
    """The console script ``name`` of this environment, as a user would type it."""
    found = BIN / name
    if not found.exists():  # pragma: no cover - depends on the environment
        pytest.skip(f"no `{name}` script next to {sys.executable}")
    return str(found)


def init(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = plait.cli.main(["init", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_init_writes_the_starter_project(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "project"

    code, out, err = init(capsys, str(target))

    assert (code, err) == (0, "")
    assert files_in(target) == STARTER_FILES
    assert f"next: cd {target} && pytest && plait run hello:graph" in out
    assert "plait.secrets.yaml" in (target / ".gitignore").read_text(encoding="utf-8")


@pytest.mark.slow
def test_the_project_passes_its_own_test_and_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert init(capsys, str(tmp_path))[0] == 0
    environment = clean_environment()

    tested = subprocess.run(
        [command("pytest"), "-q", "-p", "no:randomly"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "2 passed" in tested.stdout
    assert "1 snapshot passed" in tested.stdout

    ran = subprocess.run(
        [command("plait"), "run", "hello:graph", "--input", '{"name": "Ada"}', "--json"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stderr
    document = json.loads(ran.stdout)
    assert document["status"] == "succeeded"
    assert document["output"] == {"name": "Ada", "text": "Write a one-line greeting for Ada."}
    assert (tmp_path / ".plait" / "runs.db").is_file()  # plait.yaml's store


def test_init_defaults_to_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)

    code, out, _ = init(capsys)

    assert code == 0
    assert files_in(tmp_path) == STARTER_FILES
    assert "next: pytest && plait run hello:graph" in out


def test_init_refuses_to_overwrite_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "hello.py").write_text("mine = True\n", encoding="utf-8")

    code, out, err = init(capsys, str(tmp_path))

    assert (code, out) == (2, "")
    assert err.count("\n") == 1
    assert err.startswith(f"plait: error: {tmp_path / 'hello.py'} already exists: ")
    assert "--force" in err
    assert files_in(tmp_path) == {"hello.py"}  # nothing else written either
    assert (tmp_path / "hello.py").read_text(encoding="utf-8") == "mine = True\n"


def test_init_counts_every_file_it_would_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert init(capsys, str(tmp_path))[0] == 0

    code, _, err = init(capsys, str(tmp_path))

    assert code == 2
    assert f"{tmp_path / 'plait.yaml'} already exists (and 4 more)" in err


def test_force_overwrites(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "hello.py").write_text("mine = True\n", encoding="utf-8")

    code, _, err = init(capsys, str(tmp_path), "--force")

    assert (code, err) == (0, "")
    assert "GraphBuilder" in (tmp_path / "hello.py").read_text(encoding="utf-8")


def test_an_existing_gitignore_gains_the_missing_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".gitignore").write_text(".venv/\n.plait/", encoding="utf-8")

    code, out, _ = init(capsys, str(tmp_path))

    assert code == 0
    assert ".gitignore" not in out
    lines = (tmp_path / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert lines == [".venv/", ".plait/", "plait.secrets.yaml", "__pycache__/"]


def test_a_directory_that_is_a_file_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "taken").write_text("", encoding="utf-8")

    code, _, err = init(capsys, str(tmp_path / "taken"))

    assert code == 2
    assert err.startswith(f"plait: error: cannot write the project into {tmp_path / 'taken'}")
    assert err.count("\n") == 1
