"""The README works when pasted: its quick start, every `plait ...` command, every Python block.

Python blocks run in a fresh namespace each, in a temporary working directory, with top-level
``await`` allowed. An HTML comment on the line before a block says otherwise:

- ``<!-- continues: why -->``: the block runs after the one before it, in the same namespace;
- ``<!-- pytest: test_name.py -->``: the block is a test module; pytest runs it in a fresh
  project (recording snapshots and cassettes, then replaying them);
- ``<!-- fragment: why -->``: the block is not run; saying why is required.
"""

from __future__ import annotations

import ast
import inspect
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import anyio
import pytest

import plait.cli
from plait.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SH_BLOCKS = re.findall(r"^```sh\n(.*?)^```$", README, flags=re.MULTILINE | re.DOTALL)
MARKS = ("continues", "pytest", "fragment")


@dataclass(frozen=True)
class Block:
    """One fenced Python block of the README."""

    line: int
    code: str
    mark: str = ""
    note: str = ""

    @property
    def name(self) -> str:
        return f"README.md:{self.line}"


def _python_blocks(text: str = README) -> list[Block]:
    blocks = []
    pattern = r"^(?:<!--\s*(\w+)\s*(?::(.*?))?-->\n)?```python\n(.*?)^```$"
    for found in re.finditer(pattern, text, flags=re.MULTILINE | re.DOTALL):
        line = text.count("\n", 0, found.start(3))
        mark, note, code = found.group(1) or "", (found.group(2) or "").strip(), found.group(3)
        blocks.append(Block(line, code, mark, note))
    return blocks


def _runnable_groups() -> list[list[Block]]:
    groups: list[list[Block]] = []
    for block in _python_blocks():
        if block.mark == "continues" and groups:
            groups[-1].append(block)
        elif block.mark == "":
            groups.append([block])
    return groups


def _section(title: str) -> str:
    return README.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def _plait_commands() -> list[str]:
    commands = []
    for block in SH_BLOCKS:
        for line in block.splitlines():
            for part in line.split("&&"):
                part = part.split("  #")[0].strip()
                if part.startswith("plait "):
                    commands.append(part)
    return commands


def test_quick_start_is_one_sh_block_of_two_lines() -> None:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```(\w*)\n(.*?)^```$", section, flags=re.MULTILINE | re.DOTALL)
    assert len(blocks) == 1
    language, body = blocks[0]
    assert language == "sh"
    lines = body.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("pip install . && plait run ")
    assert lines[1].startswith("pip install -e '.[test]' && pytest")
    first_section = re.search(r"^## (.+)$", README, flags=re.MULTILINE)
    assert first_section is not None
    assert first_section.group(1) == "Quick start"


def test_ci_runs_the_readme_lines_verbatim() -> None:
    for number, expected in ((1, "pip install . && plait run"), (2, "pip install -e")):
        completed = subprocess.run(
            ["bash", str(ROOT / "scripts" / "readme-command.sh"), str(number)],
            capture_output=True,
            text=True,
            check=True,
        )
        assert completed.stdout.startswith(expected)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "readme-command.sh 1" in ci
    assert "readme-command.sh 2" in ci


@pytest.mark.parametrize("command", _plait_commands())
def test_every_plait_command_in_the_readme_runs(command: str) -> None:
    executable = shutil.which("plait")
    assert executable is not None, "the `plait` console script is not installed"
    argv = shlex.split(command)
    completed = subprocess.run(
        [executable, *argv[1:]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, f"`{command}` failed:\n{completed.stderr}"
    assert completed.stdout.strip(), f"`{command}` printed nothing"


def test_every_python_block_is_run_unless_marked_a_fragment_with_a_reason() -> None:
    blocks = _python_blocks()
    assert len(blocks) == README.count("```python\n")
    marks = re.findall(r"<!--\s*(?:continues|pytest|fragment)\b", README)
    assert len(marks) == sum(1 for block in blocks if block.mark)  # none away from a block
    for block in blocks:
        assert block.mark in ("", *MARKS), f"{block.name}: unknown mark `{block.mark}`"
        if block.mark in ("fragment", "continues", "pytest"):
            assert block.note, f"{block.name}: `<!-- {block.mark}: ... -->` needs its reason"
    assert blocks[0].mark == "", "the first block cannot continue another"
    run = sum(len(group) for group in _runnable_groups())
    tested = sum(1 for block in blocks if block.mark == "pytest")
    fragments = sum(1 for block in blocks if block.mark == "fragment")
    assert run + tested + fragments == len(blocks)


def test_a_fragment_without_a_reason_is_refused() -> None:
    text = "<!-- fragment -->\n```python\nx\n```\n<!-- fragment: elided -->\n```python\ny\n```\n"
    assert [(b.mark, b.note) for b in _python_blocks(text)] == [
        ("fragment", ""),
        ("fragment", "elided"),
    ]


def _run_block(block: Block, namespace: dict[str, object], backend: str) -> None:
    code = compile(block.code, block.name, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    if not code.co_flags & inspect.CO_COROUTINE:
        exec(code, namespace)  # README text, compiled by this test only
        return

    async def awaited() -> None:
        await eval(code, namespace)  # a block with top-level await is a coroutine

    anyio.run(awaited, backend=backend)


@pytest.mark.parametrize("group", _runnable_groups(), ids=lambda group: group[0].name)
def test_every_python_block_runs_when_pasted(
    group: list[Block], anyio_backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__main__"}
    for block in group:
        _run_block(block, namespace, anyio_backend)


def test_define_a_graph_runs_as_a_script(tmp_path: Path) -> None:
    [block] = _python_blocks(_section("Define a graph"))
    script = tmp_path / "summary.py"
    script.write_text(block.code, encoding="utf-8")
    completed = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60, check=False
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("succeeded The page at https://example.org says hello.")


def test_the_readme_test_modules_pass_recording_then_replaying(tmp_path: Path) -> None:
    for block in _python_blocks():
        if block.mark == "pytest":
            (tmp_path / block.note).write_text(block.code, encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if key != "CI"}
    env["PYTHONPATH"] = str(ROOT)
    pytest_command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]

    def pytest_run(*extra: str, **more_env: str) -> None:
        completed = subprocess.run(
            [*pytest_command, *extra],
            cwd=tmp_path,
            env={**env, **more_env},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert completed.returncode == 0, completed.stdout + completed.stderr

    pytest_run("--snapshot-update", "--plait-cassette=record")
    snapshot = "__snapshots__/test_support/test_billing_tickets_go_to_billing.trace.json"
    assert snapshot in README
    assert (tmp_path / snapshot).is_file()
    assert (tmp_path / "cassettes/test_triage/test_triage_routes_billing.cassette.json").is_file()
    pytest_run(CI="1")  # plain pytest replays, as in CI


def test_the_routing_demo_sends_a_crash_to_the_tech_agent() -> None:
    [command] = [c for c in _plait_commands() if "The app crashes on start" in c]
    executable = shutil.which("plait")
    assert executable is not None
    completed = subprocess.run(
        [executable, *shlex.split(command)[1:], "--json", "--no-store"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    document = json.loads(completed.stdout)
    assert document["output"] == "Please update to version 2.4.1, which fixes the crash on start."
    assert "node billing skipped: route not taken: `triage` chose 'tech'" in completed.stderr


def test_plait_fork_is_shown_with_its_graph() -> None:
    forks = [line for line in README.splitlines() if "plait fork" in line]
    assert forks
    assert all("--graph" in line for line in forks), forks


def test_the_cli_reference_comes_before_the_library_reference() -> None:
    titles = re.findall(r"^## (.+)$", README, flags=re.MULTILINE)
    assert titles.index("Command line") < titles.index("Define a graph")


def _help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    code: object
    try:
        code = main([*argv, "--help"])
    except SystemExit as exit_:
        code = exit_.code  # argparse's own exit, if main lets it through
    assert code == 0
    return capsys.readouterr().out


def _missing_examples(text: str, exists: Callable[[str], bool]) -> list[str]:
    named = re.findall(r"examples\.\w+|examples/[\w./-]*\w", text)
    return sorted({name for name in named if not exists(name)})


def _example_exists(name: str) -> bool:
    if "/" in name:
        return (ROOT / name).exists()
    module = name.split(".")[1]
    return (ROOT / "examples" / f"{module}.py").is_file()


def test_help_names_only_examples_that_exist(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # no wrapping inside a name
    top = _help([], capsys)
    commands = re.findall(r"^ {4}(\w+) {2,}", top, flags=re.MULTILINE)
    assert {"run", "render", "resume", "fork"} <= set(commands)
    texts = [top, *(_help([command], capsys) for command in commands), plait.cli.__doc__ or ""]
    assert "examples." in "".join(texts)
    assert _missing_examples("\n".join(texts), _example_exists) == []
    assert _missing_examples("examples.pipeline:graph examples/x.json", _example_exists) == [
        "examples.pipeline",
        "examples/x.json",
    ]
