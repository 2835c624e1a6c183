"""What a newcomer runs works as typed: a bare `pytest`, bounded dependencies, one tested
set of releases that CI installs, and a CI script that cannot stand in for the README."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
CI = (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def _requirements(*, skip: tuple[str, ...] = ()) -> list[Requirement]:
    project = PYPROJECT["project"]
    declared = list(project["dependencies"])
    for name, extra in project["optional-dependencies"].items():
        if name not in skip:
            declared.extend(extra)
    return [Requirement(text) for text in declared]


def _pins() -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: `{line}` is not NAME==VERSION"
            pins[canonicalize_name(name)] = Version(version)
    return pins


@pytest.mark.parametrize("requirement", _requirements(), ids=str)
def test_every_dependency_is_bounded_below_its_next_major(requirement: Requirement) -> None:
    operators = {spec.operator for spec in requirement.specifier}
    assert ">=" in operators, f"{requirement}: give the lowest release plait needs (>=)"
    assert "<" in operators, f"{requirement}: bound it below its next major release (<)"


def test_the_constraints_pin_every_tested_dependency_inside_its_range() -> None:
    pins = _pins()
    for requirement in _requirements(skip=("bench",)):  # the peers benchmarked: not in CI
        name = canonicalize_name(requirement.name)
        assert name in pins, f"constraints.txt pins no `{requirement.name}`"
        assert requirement.specifier.contains(pins[name]), (
            f"constraints.txt pins {requirement.name}=={pins[name]}, outside `{requirement}`"
        )


def test_ci_installs_from_the_constraints_and_stands_in_for_nothing() -> None:
    assert 'PIP_CONSTRAINT="$root/constraints.txt"' in CI
    assert not re.search(r"^\s*(function\s+)?(pip|pytest|plait|python)\s*\(\)", CI, re.MULTILINE)
    assert not re.search(r"^\s*alias\s", CI, re.MULTILINE)
    # Lint and types run as steps of their own, whatever the tests did.
    for step in ("ruff check .", "ruff format --check .", "mypy"):
        assert f'" {step}\n' in CI or f" {step}\n" in CI, f".ci/run does not run `{step}`"
    assert "set -e" in CI
    assert 'failed+=("$name")' in CI


def test_a_bare_pytest_collects_the_tests_that_import_examples() -> None:
    pytest_script = Path(sys.executable).with_name("pytest")
    if not pytest_script.exists():
        pytest.skip("no pytest console script beside this Python")
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    completed = subprocess.run(
        [str(pytest_script), "--collect-only", "-q", "tests/engine/test_trace_store.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "No module named 'examples'" not in completed.stdout


def test_a_bare_pytest_without_the_test_dependencies_says_so_in_one_line(
    tmp_path: Path,
) -> None:
    # A venv with pytest only, as a newcomer has before `pip install -e '.[test]'`.
    import venv

    venv.create(tmp_path / "v", with_pip=False, system_site_packages=False)
    python = tmp_path / "v" / "bin" / "python"
    only_pytest = tmp_path / "lib"
    only_pytest.mkdir()
    for module in ("pytest", "_pytest", "py", "pluggy", "iniconfig", "packaging", "pygments"):
        found = importlib.import_module(module).__file__
        assert found is not None
        source = Path(found)
        if source.name == "__init__.py":  # a package: its folder; a module: its file
            (only_pytest / module).symlink_to(source.parent)
        else:
            (only_pytest / source.name).symlink_to(source)
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(only_pytest)}
    completed = subprocess.run(
        [str(python), "-m", "pytest", "--collect-only", "-q", "-p", "no:syrupy"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    said = completed.stdout + completed.stderr
    assert completed.returncode == 4, said
    assert "the test dependencies are not installed" in said
    assert "pip install -e '.[test]'" in said
    assert "ModuleNotFoundError" not in said


def test_the_dependency_check_is_silent_when_everything_is_installed() -> None:
    from tests.conftest import missing_test_dependencies

    assert missing_test_dependencies() == []
