"""The trace value: deterministic JSON and readable YAML that read back to the same trace."""

from __future__ import annotations

import json

import pytest

from plait.engine import (
    TRACE_VERSION,
    FailedAttempt,
    NodeStatus,
    NodeTrace,
    RouteDecision,
    RunStatus,
    Trace,
    TracedCall,
    TracedError,
)

SAMPLE = Trace(
    graph="support",
    status=RunStatus.SUCCEEDED,
    inputs={"ticket": "invoice 7"},
    output={"billing": "refund sent"},
    nodes=(
        NodeTrace(
            node="triage",
            status=NodeStatus.SUCCEEDED,
            attempts=2,
            errors=(FailedAttempt(attempt=1, type="RateLimitedError", message="slow down"),),
            inputs={"ticket": "invoice 7"},
            calls=(
                TracedCall(attempt=2, kind="llm_request", data={"model": "m", "prompt": "hi"}),
                TracedCall(attempt=2, kind="llm_response", data={"text": "billing\nsure"}),
            ),
            output="billing",
            route=RouteDecision(labels=("billing",), taken=("billing",), skipped=("tech",)),
        ),
        NodeTrace(node="billing", status=NodeStatus.SUCCEEDED, attempts=1, output="refund sent"),
        NodeTrace(node="tech", status=NodeStatus.SKIPPED, reason="route not taken"),
    ),
)


def test_json_is_deterministic_with_fields_in_a_fixed_order() -> None:
    text = SAMPLE.to_json()

    assert text.endswith("}\n")
    assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"
    assert list(json.loads(text)) == ["version", "graph", "status", "inputs", "output", "nodes"]
    first = json.loads(text)["nodes"][0]
    assert list(first) == [
        "node",
        "status",
        "attempts",
        "errors",
        "inputs",
        "calls",
        "output",
        "route",
    ]
    assert json.loads(text)["nodes"][2] == {
        "node": "tech",
        "status": "skipped",
        "reason": "route not taken",
    }
    assert json.loads(text)["version"] == TRACE_VERSION


def test_json_and_yaml_read_back_to_the_same_trace_and_text() -> None:
    assert Trace.from_json(SAMPLE.to_json()) == SAMPLE
    assert Trace.from_yaml(SAMPLE.to_yaml()) == SAMPLE
    assert Trace.from_yaml(SAMPLE.to_yaml()).to_json() == SAMPLE.to_json()
    assert Trace.from_json(SAMPLE.to_json()).to_yaml() == SAMPLE.to_yaml()


def test_yaml_is_block_style_and_readable() -> None:
    text = SAMPLE.to_yaml()

    assert text.startswith("version: 1\ngraph: support\nstatus: succeeded\n")
    assert "- node: triage\n  status: succeeded\n  attempts: 2\n" in text
    assert "{" not in text


def test_failed_runs_keep_their_error_and_no_output() -> None:
    failed = Trace(
        graph="g",
        status=RunStatus.FAILED,
        inputs={},
        error=TracedError(type="NodeFailedError", message="node `x` failed"),
        nodes=(NodeTrace(node="x", status=NodeStatus.FAILED, attempts=1),),
    )

    data = json.loads(failed.to_json())

    assert "output" not in data
    assert data["error"] == {"type": "NodeFailedError", "message": "node `x` failed"}
    assert Trace.from_json(failed.to_json()) == failed


def test_a_node_is_found_by_path_or_named_with_close_matches() -> None:
    assert SAMPLE.node("billing").output == "refund sent"
    with pytest.raises(KeyError, match=r"no node `biling` .* \(did you mean `billing`\?\)"):
        SAMPLE.node("biling")


def test_reading_reports_every_problem_with_its_location() -> None:
    data = json.loads(SAMPLE.to_json())
    data["version"] = 99
    data["status"] = "exploded"
    data["nodes"][0]["attempts"] = "two"
    data["nodes"][1]["extra"] = True
    del data["nodes"][2]["node"]

    with pytest.raises(ValueError, match=r"golden\.json is not a plait trace") as caught:
        Trace.from_dict(data, source="golden.json")

    message = str(caught.value)
    assert "(5 problems)" in message
    assert "$.version: expected 1, got 99" in message
    assert "$.status: expected one of `running`, `succeeded`" in message
    assert "$.nodes[0].attempts: expected an integer, got 'two'" in message
    assert "$.nodes[1].extra: unknown field" in message
    assert "$.nodes[2].node: missing" in message


def test_text_that_is_not_json_or_yaml_names_the_source_and_place() -> None:
    with pytest.raises(ValueError, match=r"a\.json: invalid JSON at line 1, column 2"):
        Trace.from_json("{oops", source="a.json")
    with pytest.raises(ValueError, match=r"a\.yaml: invalid YAML at line 2"):
        Trace.from_yaml("graph: [\n: :", source="a.yaml")
    with pytest.raises(ValueError, match=r"\$: expected a mapping, got \[1, 2\]"):
        Trace.from_json("[1, 2]")
