"""``plait render``: every format, the options, and one clear line with the right exit code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import plait.cli
from examples.digest import graph as digest
from plait.visual import to_dot, to_mermaid

ROOT = Path(__file__).resolve().parents[2]
TARGET = "examples.digest:graph"


@pytest.fixture(autouse=True)
def at_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from the repository root; undo the CLI's sys.path entry."""
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(sys, "path", list(sys.path))


def render(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = plait.cli.main(["render", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(
    ("suffix", "magic"),
    [(".svg", b"<svg"), (".png", b"\x89PNG"), (".pdf", b"%PDF-"), (".dot", b"digraph digest {")],
)
def test_each_format_is_written(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, suffix: str, magic: bytes
) -> None:
    out = tmp_path / f"digest{suffix}"
    code, stdout, stderr = render(capsys, TARGET, "-o", str(out))
    assert (code, stdout, stderr) == (0, f"wrote {out}\n", "")
    assert magic in out.read_bytes()[:400]


def test_mermaid_is_written(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "digest.mmd"
    assert render(capsys, TARGET, "-o", str(out))[0] == 0
    assert out.read_text(encoding="utf-8") == to_mermaid(digest)


def test_direction_and_edge_labels(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "digest.dot"
    code, _, _ = render(
        capsys, TARGET, "-o", str(out), "--direction", "TB", "--no-edge-labels", "--no-legend"
    )
    assert code == 0
    expected = to_dot(digest, direction="TB", edge_labels=False, legend=False)
    assert out.read_text(encoding="utf-8") == expected


def test_an_unknown_suffix_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, stdout, stderr = render(capsys, TARGET, "-o", str(tmp_path / "digest.jpg"))
    assert (code, stdout) == (2, "")
    assert stderr.count("\n") == 1
    assert stderr.startswith("plait: error: cannot tell the format of ")
    assert "use one of .dot, .gv, .mmd, .pdf, .png, .svg" in stderr


@pytest.mark.parametrize(
    ("target", "says"),
    [
        ("examples.digest", "TARGET must be `module:attribute`"),
        ("examples.nowhere:graph", "module `examples.nowhere` of target"),
        ("examples.digest:nothing", "has no attribute `nothing`"),
        ("examples.digest:Finding", "expected a plait.Graph"),
    ],
)
def test_a_bad_target_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, target: str, says: str
) -> None:
    code, stdout, stderr = render(capsys, target, "-o", str(tmp_path / "x.svg"))
    assert (code, stdout) == (2, "")
    assert stderr.count("\n") == 1
    assert stderr.startswith("plait: error: ")
    assert says in stderr
    assert not (tmp_path / "x.svg").exists()


def test_a_bad_direction_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, stderr = render(capsys, TARGET, "-o", str(tmp_path / "x.dot"), "--direction", "RL")
    assert code == 2
    assert "invalid choice: 'RL'" in stderr


def test_output_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, stderr = render(capsys, TARGET)
    assert code == 2
    assert "-o/--output" in stderr


@pytest.mark.parametrize("suffix", [".svg", ".png"])
def test_a_missing_dot_fails_with_the_install_hint(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    suffix: str,
) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    code, stdout, stderr = render(capsys, TARGET, "-o", str(tmp_path / f"digest{suffix}"))
    assert (code, stdout) == (1, "")
    assert stderr.count("\n") == 1
    assert "apt-get install graphviz" in stderr
    assert "brew install graphviz" in stderr
    assert not (tmp_path / f"digest{suffix}").exists()


def test_an_unwritable_file_fails(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, stderr = render(capsys, TARGET, "-o", str(tmp_path / "missing" / "digest.dot"))
    assert code == 1
    assert stderr.count("\n") == 1
    assert "cannot write" in stderr


def test_the_installed_command_renders_svg(tmp_path: Path) -> None:
    out = tmp_path / "digest.svg"
    completed = subprocess.run(
        [sys.executable, "-m", "plait", "render", TARGET, "-o", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    assert (completed.stdout, completed.stderr) == (f"wrote {out}\n", "")
    assert "<svg" in out.read_text(encoding="utf-8")
