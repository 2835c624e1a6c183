"""Shared fixtures: every async test runs on asyncio and on trio.

Before anything is collected, the suite checks that plait and its test dependencies are
installed, so a bare `pytest` before `pip install -e '.[test]'` says so in one line
instead of failing to import dozens of modules.
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parent.parent


def missing_test_dependencies(root: Path = _ROOT) -> list[str]:
    """The distributions of plait's ``test`` extra (and plait) that are not installed."""
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = [project["name"], *project["optional-dependencies"]["test"]]
    names = [re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0] for requirement in wanted]
    missing = []
    for name in names:
        try:
            metadata.distribution(name)
        except metadata.PackageNotFoundError:
            missing.append(name)
    return missing


def pytest_configure(config: pytest.Config) -> None:
    """Stop at once, in one line, when the test dependencies are not installed."""
    missing = missing_test_dependencies()
    if missing:
        pytest.exit(
            f"the test dependencies are not installed (missing: {', '.join(missing)}): "
            "run `pip install -e '.[test]'` first, as the README's quick start does",
            returncode=4,
        )


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Run each ``@pytest.mark.anyio`` test once per backend."""
    backend: str = request.param
    return backend


@pytest.fixture(autouse=True)
def _no_provider_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hide the developer's provider keys: a catalog reads them as the SDKs do."""
    for name in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "ANTHROPIC_BASE_URL", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
