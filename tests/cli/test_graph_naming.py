"""One way to name a graph: every command takes ``module:attribute`` or a spec with --import."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from examples.digest import graph as digest
from plait.cli import main
from plait.visual import to_dot

ROOT = Path(__file__).resolve().parents[2]
DIGEST_SPEC = str(ROOT / "examples" / "digest.json")
APPROVAL_SPEC = str(ROOT / "examples" / "approval.json")

DIGEST_FORMS = {
    "module:attribute": ["examples.digest:graph"],
    "spec": [DIGEST_SPEC, "--import", "examples.digest"],
}
APPROVAL_FORMS = {
    "module:attribute": ["--graph", "examples.approval:graph"],
    "spec": ["--graph", APPROVAL_SPEC, "--import", "examples.approval"],
}
DIGEST_GRAPH_FORMS = {
    "module:attribute": ["--graph", "examples.digest:graph"],
    "spec": ["--graph", DIGEST_SPEC, "--import", "examples.digest"],
}
TOPIC = '{"topic": "owls"}'


@pytest.fixture(autouse=True)
def _in_a_fresh_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(ROOT))


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _stored_digest_run(capsys: pytest.CaptureFixture[str]) -> str:
    code, out, _ = _cli(capsys, "run", "examples.digest:graph", "--input", TOPIC, "--json")
    assert code == 0
    run_id = json.loads(out)["run_id"]
    assert isinstance(run_id, str)
    return run_id


@pytest.mark.parametrize("form", DIGEST_FORMS)
def test_run_takes_either_form(capsys: pytest.CaptureFixture[str], form: str) -> None:
    code, out, err = _cli(capsys, "run", *DIGEST_FORMS[form], "--input", TOPIC, "--no-store")
    assert (code, err.count("plait: error")) == (0, 0)
    assert "owls" in out


@pytest.mark.parametrize("form", DIGEST_FORMS)
def test_validate_takes_either_form(capsys: pytest.CaptureFixture[str], form: str) -> None:
    target = DIGEST_FORMS[form][0]
    code, out, err = _cli(capsys, "validate", *DIGEST_FORMS[form])
    assert (code, err) == (0, "")
    assert out == f"{target}: graph `digest` is valid: 5 nodes, 7 edges, {digest.bound}\n"


def test_validate_json_of_a_python_target(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cli(capsys, "validate", "examples.digest:graph", "--json")
    assert code == 0
    assert json.loads(out)["content_hash"] == digest.content_hash


@pytest.mark.parametrize("form", DIGEST_FORMS)
def test_render_takes_either_form(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, form: str
) -> None:
    out = tmp_path / "digest.dot"
    code, _, err = _cli(capsys, "render", *DIGEST_FORMS[form], "-o", str(out))
    assert (code, err) == (0, "")
    assert out.read_text(encoding="utf-8") == to_dot(digest)


@pytest.mark.parametrize("form", APPROVAL_FORMS)
def test_resume_takes_either_form(capsys: pytest.CaptureFixture[str], form: str) -> None:
    code, out, _ = _cli(capsys, "run", "examples.approval:graph", "--input", '{"amount": 30}')
    assert code == 3
    run_id = _cli(capsys, "runs")[1].splitlines()[1].split()[0]

    answer = '{"approve": {"approved": true}}'
    code, out, err = _cli(capsys, "resume", run_id, *APPROVAL_FORMS[form], "--input", answer)
    assert (code, out.strip()) == (0, "sent: refund of 30 EUR for order 1042"), err


@pytest.mark.parametrize("form", DIGEST_GRAPH_FORMS)
def test_fork_takes_either_form(capsys: pytest.CaptureFixture[str], form: str) -> None:
    run_id = _stored_digest_run(capsys)
    code, out, err = _cli(
        capsys, "fork", run_id, *DIGEST_GRAPH_FORMS[form], "--at", "write", "--json"
    )
    assert code == 0, err
    assert json.loads(out)["status"] == "succeeded"


def test_trace_takes_either_form_and_both_agree(capsys: pytest.CaptureFixture[str]) -> None:
    run_id = _stored_digest_run(capsys)
    traces = []
    for argv in DIGEST_GRAPH_FORMS.values():
        code, out, err = _cli(capsys, "trace", run_id, *argv)
        assert (code, err) == (0, "")
        traces.append(out)
    assert traces[0] == traces[1]
    assert json.loads(traces[0])["graph"] == "digest"


def test_plait_yaml_imports_serve_specs_and_leave_python_targets_alone(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "plait.yaml").write_text("imports: [examples.digest]\n", encoding="utf-8")
    for target in ("examples.digest:graph", DIGEST_SPEC):
        code, out, err = _cli(capsys, "run", target, "--input", TOPIC, "--no-store")
        assert (code, err.count("plait: error")) == (0, 0), err
        assert "owls" in out
        assert _cli(capsys, "validate", target)[0] == 0


@pytest.mark.parametrize(
    ("argv", "code", "says"),
    [
        (["run", "examples.digest:graph", "--import", "examples.digest"], 2, "Python target"),
        (["validate", "examples.digest"], 2, "TARGET must be `module:attribute`"),
        (["render", DIGEST_SPEC, "--import", "examples.nowhere", "-o", "a.dot"], 2, "nowhere"),
        (["render", "examples.digest:graph", "--graph", "x:y", "-o", "a.dot"], 2, "--graph"),
        (["render", "missing.json", "-o", "a.dot"], 2, "spec file `missing.json` not found"),
        (["render", "nosuchrun", "-o", "a.dot"], 2, "`nosuchrun` is not a run in store"),
        (["trace", "nosuchrun", "--graph", "examples.digest:graph"], 2, "not in store"),
        (
            ["fork", "r", "--graph", "examples.digest:graph", "--import", "examples.digest"],
            2,
            "Python target",
        ),
    ],
)
def test_a_bad_name_is_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], code: int, says: str
) -> None:
    if argv[0] == "fork":  # the run must exist for the graph to be looked at
        argv = [argv[0], _stored_digest_run(capsys), *argv[2:]]
    found, out, err = _cli(capsys, *argv)
    assert (found, out) == (code, "")
    assert err.count("\n") == 1
    assert err.startswith("plait: error: ")
    assert says in err


def test_resume_without_a_graph_names_both_forms(capsys: pytest.CaptureFixture[str]) -> None:
    run_id = _stored_digest_run(capsys)
    code, _, err = _cli(capsys, "resume", run_id)
    assert code == 2
    assert "--graph module:attribute (or --graph SPEC.json --import MODULE)" in err
