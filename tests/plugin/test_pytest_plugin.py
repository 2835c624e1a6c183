"""The pytest plugin, run for real with pytester: passing, failing and updated snapshots."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

# The inner runs load exactly the plugins they name, so they behave the same whether or
# not plait's ``pytest11`` entry point is installed (pluggy refuses one module under two
# names).
PLUGINS = ("-p", "syrupy", "-p", "plait.pytest_plugin")

TEST_FILE = """
from plait import GraphBuilder, RunContext, node

SUFFIX = "{suffix}"


@node
def shout(text: str, context: RunContext) -> str:
    context.emit("tool_call", {{"name": "upper", "api_key": "sk-should-not-leak"}})
    return text.upper() + SUFFIX


def build():
    b = GraphBuilder("shouter", inputs={{"text": str}})
    return b.build(b.add(shout, inputs={{"text": "inputs.text"}}))


def test_shout(plait_trace, trace_snapshot):
    assert plait_trace.run_sync(build(), {{"text": "hi"}}) == trace_snapshot
"""

SNAPSHOT = Path("__snapshots__", "test_shouter", "test_shout.trace.json")


@pytest.fixture
def pytester(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    return pytester


def _write_test(pytester: pytest.Pytester, suffix: str) -> None:
    pytester.makepyfile(test_shouter=TEST_FILE.format(suffix=suffix))


def test_update_writes_the_file_then_the_snapshot_passes(pytester: pytest.Pytester) -> None:
    _write_test(pytester, "!")

    missing = pytester.runpytest(*PLUGINS)
    missing.assert_outcomes(failed=1)
    assert not (pytester.path / SNAPSHOT).exists()

    created = pytester.runpytest(*PLUGINS, "--snapshot-update")
    created.assert_outcomes(passed=1)
    assert "1 snapshot generated" in created.stdout.str()
    text = (pytester.path / SNAPSHOT).read_text(encoding="utf-8")
    assert text.startswith('{\n  "version": 1,\n  "graph": "shouter",\n  "status": "succeeded"')
    assert '"output": "HI!"' in text
    assert '"api_key": "***"' in text
    assert "sk-should-not-leak" not in text

    again = pytester.runpytest(*PLUGINS)
    again.assert_outcomes(passed=1)
    assert "1 snapshot passed" in again.stdout.str()


def test_a_deliberate_change_fails_with_the_trace_diff(pytester: pytest.Pytester) -> None:
    _write_test(pytester, "!")
    pytester.runpytest(*PLUGINS, "--snapshot-update").assert_outcomes(passed=1)
    _write_test(pytester, "?")

    failed = pytester.runpytest(*PLUGINS)

    failed.assert_outcomes(failed=1)
    output = failed.stdout.str()
    assert "trace differs from the snapshot (- snapshot, + received):" in output
    assert 'node `shout`: output changed: "HI!" -> "HI?"' in output
    assert 'run: output changed: "HI!" -> "HI?"' in output
    assert "1 snapshot failed" in output
    assert '"output": "HI!"' in (pytester.path / SNAPSHOT).read_text(encoding="utf-8")


def test_update_rewrites_a_changed_snapshot(pytester: pytest.Pytester) -> None:
    _write_test(pytester, "!")
    pytester.runpytest(*PLUGINS, "--snapshot-update").assert_outcomes(passed=1)
    _write_test(pytester, "?")

    updated = pytester.runpytest(*PLUGINS, "--snapshot-update")

    updated.assert_outcomes(passed=1)
    assert "1 snapshot updated" in updated.stdout.str()
    assert '"output": "HI?"' in (pytester.path / SNAPSHOT).read_text(encoding="utf-8")
    pytester.runpytest(*PLUGINS).assert_outcomes(passed=1)


def test_update_deletes_the_snapshot_of_a_removed_test(pytester: pytest.Pytester) -> None:
    _write_test(pytester, "!")
    pytester.runpytest(*PLUGINS, "--snapshot-update").assert_outcomes(passed=1)
    pytester.makepyfile(test_shouter="def test_nothing():\n    pass\n")

    unused = pytester.runpytest(*PLUGINS)
    assert "1 snapshot unused" in unused.stdout.str()
    pytester.runpytest(*PLUGINS, "--snapshot-update").assert_outcomes(passed=1)

    assert not (pytester.path / SNAPSHOT).exists()


def test_the_yaml_format_is_chosen_in_the_ini_file(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nplait_trace_format = yaml\n")
    _write_test(pytester, "!")

    pytester.runpytest(*PLUGINS, "--snapshot-update").assert_outcomes(passed=1)

    path = pytester.path / SNAPSHOT.with_name("test_shout.trace.yaml")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("version: 1\ngraph: shouter\nstatus: succeeded\n")
    assert "  output: HI!\n" in text
    pytester.runpytest(*PLUGINS).assert_outcomes(passed=1)
    _write_test(pytester, "?")
    failed = pytester.runpytest(*PLUGINS)
    failed.assert_outcomes(failed=1)
    assert 'node `shout`: output changed: "HI!" -> "HI?"' in failed.stdout.str()


def test_async_tests_await_the_runner_and_non_traces_are_refused(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_other=textwrap.dedent(
            """
            import pytest
            from plait import GraphBuilder, node


            @node
            async def double(x: int) -> int:
                return x * 2


            def build():
                b = GraphBuilder("double", inputs={"x": int})
                return b.build(b.add(double, inputs={"x": "inputs.x"}))


            @pytest.mark.anyio
            async def test_async(plait_trace):
                trace = await plait_trace.run(build(), {"x": 2})
                assert trace.output == 4
                assert plait_trace.result.output == 4


            def test_not_a_trace(plait_trace, trace_snapshot):
                result = build().run_sync({"x": 2})
                assert result == trace_snapshot
            """
        )
    )

    outcome = pytester.runpytest(*PLUGINS, "-p", "anyio", "--snapshot-update")

    outcome.assert_outcomes(passed=2, failed=1)
    assert "trace_snapshot stores plait traces, got RunResult" in outcome.stdout.str()


def test_loading_the_plugin_imports_nothing_heavy() -> None:
    code = (
        "import sys, plait.pytest_plugin\n"
        "heavy = ['syrupy', 'yaml', 'pydantic', 'networkx', 'rich', 'trio', 'anthropic',"
        " 'openai']\n"
        "print(','.join(name for name in heavy if name in sys.modules))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert completed.stdout.strip() == ""
