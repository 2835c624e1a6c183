"""`plait run` watched: JSON logs, OTLP export, the telemetry config, and no secret in any."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from plait.cli import main
from tests.cli.test_cli import GREETING, in_cli_dir, run_cli, stderr_lines
from tests.engine.telemetry.otlp_receiver import otlp_receiver
from tests.fakes.server import FakeServer
from tests.test_secret_sinks import echo_answer, echo_error, leaks, project, tool_call

__all__ = ["in_cli_dir", "project"]  # fixtures, used by name

OTEL_VARIABLES = (
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_SDK_DISABLED",
    "OTEL_SERVICE_NAME",
    "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT",
)


@pytest.fixture(autouse=True)
def _no_otel_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in OTEL_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("in_cli_dir")
def test_json_logs_are_one_object_per_event_with_stable_fields(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run_cli(
        capsys, "run", "cli_graphs:greeting", "--input", GREETING, "--log-format", "json"
    )

    assert code == 0
    assert json.loads(out) == {"text": "hello ADA hello ADA", "count": 2}
    records = [json.loads(line) for line in stderr_lines(err)]
    run_id = records[0]["run_id"]
    assert [(r["event"], r.get("node"), r.get("attempt")) for r in records] == [
        ("run.started", None, None),
        ("node.started", "shout", 1),
        ("node.finished", "shout", 1),
        ("node.started", "greet", 1),
        ("node.finished", "greet", 1),
        ("run.finished", None, None),
    ]
    assert all(r["run_id"] == run_id and r["logger"] == "plait.run" for r in records)
    assert records[-1]["status"] == "succeeded"
    assert records[0]["message"] == f"run {run_id} started: graph greeting"
    assert {"time", "level", "duration"} <= set(records[2])


@pytest.mark.usefixtures("in_cli_dir")
def test_json_logs_record_retries_and_failures_as_warnings_and_errors(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run_cli(
        capsys, "run", "cli_graphs:failing", "-i", '{"x": 1}', "--log-format", "json"
    )

    assert code == 1
    lines = stderr_lines(err)
    assert lines[-1].startswith("plait: error: run ")
    records = [json.loads(line) for line in lines[:-1]]
    levels = {(r["event"], r["level"]) for r in records}
    assert {("node.retrying", "warning"), ("node.failed", "error")} <= levels
    assert ("run.finished", "error") in levels
    failed = next(r for r in records if r["event"] == "node.failed")
    assert failed == failed | {"node": "explode", "attempt": 2, "error": "ValueError: boom 2"}


@pytest.mark.usefixtures("in_cli_dir")
def test_progress_and_json_logs_together_are_one_line_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run_cli(
        capsys, "run", "cli_graphs:greeting", "-i", GREETING, "--progress", "--log-format", "json"
    )

    assert (code, out) == (2, "")
    assert stderr_lines(err) == [
        "plait: error: --progress and --log-format json both write to stderr: drop --progress "
        "to get JSON lines, or drop --log-format json to see the live table"
    ]


@pytest.mark.usefixtures("in_cli_dir")
def test_otel_sends_the_run_to_the_collector(capsys: pytest.CaptureFixture[str]) -> None:
    with otlp_receiver() as received:
        code, _, _ = run_cli(
            capsys, "run", "cli_graphs:greeting", "-i", GREETING, "--otel", received.url
        )

    assert code == 0
    assert received.span_names() == ["node greet", "node shout", "run greeting"]
    assert {service for service, _ in received.spans} == {"plait"}
    assert "plait.runs" in received.metrics


@pytest.mark.usefixtures("in_cli_dir")
def test_the_standard_endpoint_variable_turns_export_on_unless_the_sdk_is_disabled(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with otlp_receiver() as received:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", received.url)
        assert run_cli(capsys, "run", "cli_graphs:greeting", "-i", GREETING)[0] == 0
        monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
        assert run_cli(capsys, "run", "cli_graphs:greeting", "-i", GREETING)[0] == 0

    assert received.span_names() == ["node greet", "node shout", "run greeting"]


def test_no_fake_key_reaches_json_logs_or_spans_with_content_on(
    project: FakeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "plait.yaml"
    config.write_text(config.read_text() + "telemetry:\n  content: true\n")
    run_args = ["run", "tests.cli.cli_secrets:graph", "--input", '{"account": "acme"}']
    run_args += ["--no-store", "--log-format", "json"]

    with otlp_receiver() as received:
        project.script(tool_call(), echo_error)
        assert main([*run_args, "--otel", received.url]) == 1
        failed = capsys.readouterr()
        project.script(tool_call(), echo_answer)
        assert main([*run_args, "--otel", received.url]) == 0
        done = capsys.readouterr()

    assert leaks(json.dumps([seen.body for seen in project.requests]))  # there to leak
    for err in (failed.err, done.err):
        records = [json.loads(line) for line in stderr_lines(err)[:-1] if line.startswith("{")]
        assert {"run.started", "node.failed", "run.finished"} & {r["event"] for r in records}
        assert leaks(err) == []
    assert any(span.name == "execute_tool account_status" for _, span in received.spans)
    contents = [str(span) for _, span in received.spans]
    assert any("gen_ai.tool.call.result" in text for text in contents)  # content is on
    for text in contents:
        assert leaks(text) == [], text


def test_a_bad_telemetry_section_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "plait.yaml").write_text("telemetry:\n  content: maybe\n  spans: all\n")

    code, _, err = run_cli(capsys, "config")

    assert code != 0
    assert "$.telemetry: unknown key `spans`; known keys: content" in err
    assert "$.telemetry.content: expected true or false, got 'maybe'" in err


def test_the_telemetry_section_and_its_override_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from plait.nodes import load_config

    (tmp_path / "plait.yaml").write_text("telemetry:\n  content: true\n")
    assert load_config(tmp_path, {}).telemetry.content is True
    assert load_config(tmp_path, {"PLAIT_TELEMETRY__CONTENT": "false"}).telemetry.content is False
    assert load_config(tmp_path / "nowhere", {}).telemetry.content is None


@pytest.mark.usefixtures("in_cli_dir")
def test_an_unreachable_collector_is_reported_in_plait_lines(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "1")
    with otlp_receiver() as received:
        closed = received.url  # a port that answers nothing once the block has ended
    code, out, err = run_cli(capsys, "run", "cli_graphs:greeting", "-i", GREETING, "--otel", closed)

    assert code == 0
    assert json.loads(out)["count"] == 2
    complaints = [line for line in stderr_lines(err) if "OpenTelemetry" in line]
    assert complaints
    assert all(line.startswith("plait: OpenTelemetry: ") for line in complaints)
