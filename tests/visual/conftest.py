"""Fixtures for the diagram tests: DOT and Mermaid snapshots, and the real ``dot`` program."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable

import pytest
from syrupy.assertion import SnapshotAssertion

from .snapshots import DotSnapshotExtension, MermaidSnapshotExtension

DotCheck = Callable[[str], None]


@pytest.fixture
def dot_snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """A snapshot stored as ``__snapshots__/<test file>/<test>.dot``."""
    return snapshot.use_extension(DotSnapshotExtension)


@pytest.fixture
def mermaid_snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """A snapshot stored as ``__snapshots__/<test file>/<test>.mmd``."""
    return snapshot.use_extension(MermaidSnapshotExtension)


@pytest.fixture(scope="session")
def dot_program() -> str:
    """The Graphviz ``dot`` program; CI installs it (``apt-get install graphviz``)."""
    found = shutil.which("dot")
    if found is None:
        pytest.fail("the Graphviz `dot` program is not on PATH: apt-get install graphviz")
    return found


@pytest.fixture
def assert_dot_parses(dot_program: str) -> DotCheck:
    """Check that the real ``dot`` lays out a DOT text into SVG, silently."""

    def check(source: str) -> None:
        completed = subprocess.run(
            [dot_program, "-Tsvg"],
            input=source.encode(),
            capture_output=True,
            check=False,
            timeout=120,
        )
        assert completed.returncode == 0, completed.stderr.decode()
        assert completed.stderr.decode() == "", completed.stderr.decode()
        assert b"<svg" in completed.stdout

    return check
