"""Diagram files through the real ``dot`` program, and what happens when Graphviz is missing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from examples.digest import graph as digest
from plait.nodes import PlaitError
from plait.visual import (
    FORMATS,
    GraphvizNotFoundError,
    RenderError,
    render,
    to_dot,
    to_mermaid,
)
from plait.visual._graphviz import run_dot

MAGIC = {".svg": b"<svg", ".png": b"\x89PNG\r\n\x1a\n", ".pdf": b"%PDF-"}


@pytest.fixture
def no_dot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A PATH on which there is no ``dot`` program."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


@pytest.mark.parametrize("suffix", [".svg", ".png", ".pdf"])
def test_images_are_drawn_by_dot(tmp_path: Path, suffix: str) -> None:
    written = render(digest, tmp_path / f"digest{suffix}")
    assert written == tmp_path / f"digest{suffix}"
    assert MAGIC[suffix] in written.read_bytes()[:400]


@pytest.mark.parametrize("suffix", [".dot", ".gv"])
def test_dot_files_hold_to_dot(tmp_path: Path, suffix: str) -> None:
    written = render(digest, tmp_path / f"digest{suffix}", direction="TB", edge_labels=False)
    assert written.read_text(encoding="utf-8") == to_dot(digest, direction="TB", edge_labels=False)


def test_mermaid_files_hold_to_mermaid(tmp_path: Path) -> None:
    written = render(digest, tmp_path / "digest.mmd")
    assert written.read_text(encoding="utf-8") == to_mermaid(digest)


def test_the_svg_shows_names_and_types(tmp_path: Path) -> None:
    svg = render(digest, tmp_path / "digest.svg").read_text(encoding="utf-8")
    for text in ("search_papers", "list[Finding]", "queries: Queries", "graph input"):
        assert text in svg


def test_an_unknown_suffix_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match=r"`.*digest\.jpg`: use a suffix among \.dot, \.gv"):
        render(digest, tmp_path / "digest.jpg")
    assert not (tmp_path / "digest.jpg").exists()
    assert set(FORMATS) == {".dot", ".gv", ".mmd", ".pdf", ".png", ".svg"}


@pytest.mark.usefixtures("no_dot")
@pytest.mark.parametrize("suffix", [".svg", ".png"])
def test_a_missing_dot_says_how_to_install_graphviz(tmp_path: Path, suffix: str) -> None:
    with pytest.raises(GraphvizNotFoundError) as raised:
        render(digest, tmp_path / f"digest{suffix}")
    message = str(raised.value)
    assert "`dot` program" in message
    assert "apt-get install graphviz" in message
    assert "brew install graphviz" in message
    assert isinstance(raised.value, RenderError)
    assert isinstance(raised.value, PlaitError)
    assert not (tmp_path / f"digest{suffix}").exists()


@pytest.mark.usefixtures("no_dot")
def test_text_formats_need_no_dot_program(tmp_path: Path) -> None:
    assert render(digest, tmp_path / "digest.dot").read_text(encoding="utf-8").startswith("digraph")
    assert render(digest, tmp_path / "digest.mmd").exists()


def test_a_missing_graphviz_package_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "graphviz", None)  # makes `import graphviz` fail
    with pytest.raises(GraphvizNotFoundError, match=r"pip install graphviz"):
        to_dot(digest)


def test_dot_failures_become_render_errors() -> None:
    with pytest.raises(RenderError, match=r"`dot -Tsvg` failed: .*syntax error"):
        run_dot("digraph {", "svg")
    with pytest.raises(RenderError, match=r"`dot -Tnope` failed"):
        run_dot("digraph { a }", "nope")


def test_importing_plait_visual_does_not_load_graphviz() -> None:
    import subprocess

    code = "import sys, plait.visual; print('graphviz' in sys.modules)"
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert completed.stdout.strip() == "False"
