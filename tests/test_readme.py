"""The README's promises hold: its quick start, and every `plait ...` command it shows."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SH_BLOCKS = re.findall(r"^```sh\n(.*?)^```$", README, flags=re.MULTILINE | re.DOTALL)


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
