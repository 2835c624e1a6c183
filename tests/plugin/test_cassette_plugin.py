"""The ``plait_cassette`` fixture, run for real with pytester: record, replay, CI, mismatch."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

PLUGINS = ("-p", "plait.pytest_plugin")

TEST_FILE = """
from plait import GraphBuilder
from plait.nodes import ScriptedModel, agent

script = ScriptedModel(["Refund sent."])


def build():
    helper = agent(
        "helper", model=script, instructions="{instructions}", inputs={{"ticket": str}}
    )
    b = GraphBuilder("support", inputs={{"ticket": str}})
    return b.build(b.add(helper, inputs={{"ticket": "inputs.ticket"}}))


def test_support(plait_trace, plait_cassette):
    found = plait_trace.run_sync(plait_cassette.wrap(build()), {{"ticket": "charged twice"}})
    assert found.output == "Refund sent.", plait_trace.result.error
    used = 1 if plait_cassette.mode == "record" else 0
    assert len(script.requests) == used  # a replay never asks the model
"""

CASSETTE = Path("cassettes", "test_support", "test_support.cassette.json")


@pytest.fixture
def pytester(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.delenv("CI", raising=False)
    return pytester


def _write(pytester: pytest.Pytester, instructions: str = "Be kind.") -> None:
    pytester.makepyfile(test_support=TEST_FILE.format(instructions=instructions))


def test_record_writes_the_cassette_then_replay_is_the_default(
    pytester: pytest.Pytester,
) -> None:
    _write(pytester)
    missing = pytester.runpytest(*PLUGINS)
    missing.assert_outcomes(errors=1)
    assert "no cassette at" in missing.stdout.str()
    assert "--plait-cassette=record" in missing.stdout.str()

    pytester.runpytest(*PLUGINS, "--plait-cassette=record").assert_outcomes(passed=1)
    data = json.loads((pytester.path / CASSETTE).read_text(encoding="utf-8"))
    assert list(data["runs"][0]["nodes"]) == ["helper"]

    pytester.runpytest(*PLUGINS).assert_outcomes(passed=1)
    pytester.runpytest(*PLUGINS, "--plait-cassette=replay").assert_outcomes(passed=1)


def test_a_changed_prompt_fails_the_replay_naming_node_and_call(
    pytester: pytest.Pytester,
) -> None:
    _write(pytester)
    pytester.runpytest(*PLUGINS, "--plait-cassette=record").assert_outcomes(passed=1)
    _write(pytester, "Be terse.")

    failed = pytester.runpytest(*PLUGINS)

    failed.assert_outcomes(failed=1, errors=1)
    output = failed.stdout.str()
    assert "cassette mismatch at node `helper`, call 1: the model request differs" in output
    assert '$.system: "Be kind." -> "Be terse."' in output


def test_ci_allows_only_replay(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(pytester)
    pytester.runpytest(*PLUGINS, "--plait-cassette=record").assert_outcomes(passed=1)
    monkeypatch.setenv("CI", "true")

    refused = pytester.runpytest(*PLUGINS, "--plait-cassette=record")
    refused.assert_outcomes(errors=1)
    assert "recording is off when CI is set" in refused.stdout.str()
    pytester.runpytest(*PLUGINS).assert_outcomes(passed=1)


def test_the_marker_chooses_mode_and_file(pytester: pytest.Pytester) -> None:
    marked = TEST_FILE.format(instructions="Be kind.").replace(
        "def test_support(",
        "import pytest\n\n\n"
        '@pytest.mark.plait_cassette(mode="record", path="tapes/support.json")\n'
        "def test_support(",
    )
    pytester.makepyfile(test_support=marked)
    pytester.runpytest(*PLUGINS, "--strict-markers").assert_outcomes(passed=1)
    assert (pytester.path / "tapes" / "support.json").is_file()
    assert not (pytester.path / CASSETTE).exists()

    pytester.makepyfile(test_support=marked.replace('mode="record", ', ""))
    pytester.runpytest(*PLUGINS, "--strict-markers").assert_outcomes(passed=1)


def test_secrets_in_the_redaction_fixture_stay_out_of_the_cassette(
    pytester: pytest.Pytester,
) -> None:
    _write(pytester, "Use key sk-plugin-secret-123456 wisely.")
    pytester.makeconftest(
        """
import pytest
from plait import Redaction


@pytest.fixture
def plait_redaction():
    return Redaction(values=("sk-plugin-secret-123456",))
"""
    )
    pytester.runpytest(*PLUGINS, "--plait-cassette=record").assert_outcomes(passed=1)
    raw = (pytester.path / CASSETTE).read_bytes()
    assert b"sk-plugin-secret-123456" not in raw
    assert b'"system": "Use key *** wisely."' in raw
    pytester.runpytest(*PLUGINS).assert_outcomes(passed=1)
