"""Tests for the ``plait`` command (plait.cli) and its progress reporting (plait.cli._progress).

The target modules live next to this file (``cli_graphs``, ``cli_invalid_graph``,
``cli_crashing``); tests run from this directory so ``module:attribute`` targets import
the way they do from a project root.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

import plait
import plait.cli
import plait.engine._inputs
from plait import GraphBuilder, RetryPolicy, node
from plait.cli._progress import LogLines, ProgressTable, describe_error, live_progress
from plait.engine import (
    Event,
    NodeCancelled,
    NodeFailed,
    NodeFinished,
    NodeRetrying,
    NodeSkipped,
    NodeStarted,
    RunFinished,
    RunStarted,
    RunStatus,
)
from plait.graphs import Graph

HERE = Path(__file__).resolve().parent
HELPER_MODULES = ("cli_graphs", "cli_invalid_graph", "cli_crashing", "cli_tmp_target")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
RUN_ID = re.compile(r"[0-9a-z]{26}")

GREETING = '{"name": "ada", "times": 2}'


@pytest.fixture
def in_cli_dir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Run from this directory; undo the CLI's sys.path entry and its module imports."""
    monkeypatch.chdir(HERE)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    yield HERE
    for name in HELPER_MODULES:
        sys.modules.pop(name, None)


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = plait.cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def stderr_lines(err: str) -> list[str]:
    return err.rstrip("\n").split("\n") if err else []


# -- in process: success ---------------------------------------------------------------


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "--version")
    assert code == 0
    assert out == f"plait {plait.__version__}\n"
    assert err == ""


@pytest.mark.usefixtures("in_cli_dir")
def test_structured_output_is_indented_json_and_progress_is_plain_lines(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run_cli(capsys, "run", "cli_graphs:greeting", "--input", GREETING)
    assert code == 0
    assert out == json.dumps({"text": "hello ADA hello ADA", "count": 2}, indent=2) + "\n"
    lines = stderr_lines(err)
    run_id = RUN_ID.search(lines[0])
    assert run_id is not None
    patterns = [
        rf"plait: run {run_id.group()} started: graph greeting \(2 nodes\)",
        r"plait: node shout started \(attempt 1\)",
        r"plait: node shout done in \d+\.\d{3} s",
        r"plait: node greet started \(attempt 1\)",
        r"plait: node greet done in \d+\.\d{3} s",
        rf"plait: run {run_id.group()} succeeded in \d+\.\d{{3}} s",
    ]
    assert len(lines) == len(patterns)
    for line, pattern in zip(lines, patterns, strict=True):
        assert re.fullmatch(pattern, line), (line, pattern)


@pytest.mark.usefixtures("in_cli_dir")
def test_str_output_is_printed_as_is(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "run", "cli_graphs:text", "-i", '{"name": "ada"}')
    assert code == 0
    assert out == "ADA\n"


@pytest.mark.usefixtures("in_cli_dir")
def test_json_document_on_success(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "run", "cli_graphs:greeting", "-i", GREETING, "--json")
    assert code == 0
    document = json.loads(out)
    assert list(document) == ["run_id", "status", "output"]
    assert RUN_ID.fullmatch(document["run_id"])
    assert document["status"] == "succeeded"
    assert document["output"] == {"text": "hello ADA hello ADA", "count": 2}
    assert f"plait: run {document['run_id']} succeeded in " in err


@pytest.mark.usefixtures("in_cli_dir")
def test_factory_target_and_json_values_converted_to_input_types(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run_cli(
        capsys, "run", "cli_graphs:make_sum", "-i", '{"x": 1, "y": "2"}', "--json"
    )
    assert code == 0
    assert json.loads(out)["output"] == 3


@pytest.mark.usefixtures("in_cli_dir")
def test_input_from_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    inputs = tmp_path / "inputs.json"
    inputs.write_text(json.dumps({"x": 20, "y": 22}), encoding="utf-8")
    code, out, _ = run_cli(
        capsys, "run", "cli_graphs:make_sum", "--input", f"@{inputs}", "--max-concurrency", "1"
    )
    assert code == 0
    assert out == "42\n"


def test_current_directory_is_searched_first(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(sys, "path", [entry for entry in sys.path if entry not in ("", ".")])
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cli_tmp_target.py").write_text(
        "from plait import GraphBuilder, node\n\n\n"
        "@node\nasync def hello() -> str:\n    return 'hello from cwd'\n\n\n"
        "builder = GraphBuilder('cwd')\ngraph = builder.build(builder.add(hello))\n",
        encoding="utf-8",
    )
    try:
        code, out, _ = run_cli(capsys, "run", "cli_tmp_target:graph")
    finally:
        sys.modules.pop("cli_tmp_target", None)
    assert code == 0
    assert out == "hello from cwd\n"
    assert sys.path[0] == os.getcwd()


# -- in process: failures --------------------------------------------------------------


@pytest.mark.usefixtures("in_cli_dir")
def test_failed_run_exits_1_with_one_error_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "run", "cli_graphs:failing", "--input", '{"x": 1}')
    assert code == 1
    assert out == ""
    lines = stderr_lines(err)
    run_id = RUN_ID.search(lines[0])
    assert run_id is not None
    assert "plait: node explode retrying in 0.01 s after attempt 1: ValueError: boom 2" in lines
    assert "plait: node explode started (attempt 2)" in lines
    assert "plait: node explode failed after 2 attempts: ValueError: boom 2" in lines
    assert re.fullmatch(rf"plait: run {run_id.group()} failed in \d+\.\d{{3}} s", lines[-2])
    assert lines[-1] == (
        f"plait: error: run {run_id.group()}: node `explode` failed after 2 attempts: "
        "ValueError: boom 2"
    )
    assert "Traceback" not in err


@pytest.mark.usefixtures("in_cli_dir")
def test_failed_run_json_document(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "run", "cli_graphs:failing", "-i", '{"x": 1}', "--json")
    assert code == 1
    document = json.loads(out)
    assert list(document) == ["run_id", "status", "output", "error"]
    assert document["status"] == "failed"
    assert document["output"] is None
    assert document["error"] == (
        f"run {document['run_id']}: node `explode` failed after 2 attempts: ValueError: boom 2"
    )
    assert stderr_lines(err)[-1] == f"plait: error: {document['error']}"


@pytest.mark.usefixtures("in_cli_dir")
def test_run_timeout_fails_the_run(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(
        capsys, "run", "cli_graphs:failing", "-i", '{"x": 1}', "--timeout", "0.001", "--json"
    )
    assert code == 1
    document = json.loads(out)
    assert document["status"] == "failed"
    assert "timed out after 0.001 s" in document["error"]
    assert stderr_lines(err)[-1] == f"plait: error: {document['error']}"


@pytest.mark.usefixtures("in_cli_dir")
def test_invalid_graph_exits_1_listing_every_problem(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run_cli(capsys, "run", "cli_invalid_graph:graph", "--json")
    assert code == 1
    assert out == ""
    lines = stderr_lines(err)
    assert lines[0].startswith(
        "plait: error: invalid definition in module `cli_invalid_graph` "
        "(target `cli_invalid_graph:graph`): graph `broken` has "
    )
    header = re.search(r"has (\d+) problems?:$", lines[0])
    assert header is not None
    problems = lines[1:]
    assert len(problems) == int(header.group(1))
    assert all(line.startswith("  - [") for line in problems)
    assert any("[unknown-input]" in line and "missing" in line for line in problems)
    assert any("[unknown-node]" in line and "nowhere" in line for line in problems)
    assert "Traceback" not in err


@pytest.mark.usefixtures("in_cli_dir")
def test_module_that_raises_on_import_is_one_line_naming_where(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run_cli(capsys, "run", "cli_crashing:graph")
    assert code == 2
    assert out == ""
    assert stderr_lines(err) == [
        "plait: error: importing module `cli_crashing` raised RuntimeError: "
        "settings file is missing (at cli_crashing.py:7 in _load_settings)"
    ]


USAGE_ERRORS = [
    pytest.param(
        ["run", "cli_graphs"],
        ["TARGET must be `module:attribute`", "got `cli_graphs`"],
        id="target-without-colon",
    ),
    pytest.param(
        ["run", "cli_graphs:greeting:x"], ["TARGET must be `module:attribute`"], id="two-colons"
    ),
    pytest.param(
        ["run", "no_such_module_for_cli:graph"],
        ["module `no_such_module_for_cli`", "not found"],
        id="module-not-found",
    ),
    pytest.param(
        ["run", "cli_graphs:missing"],
        ["module `cli_graphs` has no attribute `missing`", "`greeting`"],
        id="attribute-missing",
    ),
    pytest.param(
        ["run", "cli_graphs:not_a_graph"],
        ["`cli_graphs:not_a_graph` is a str ('hello')", "expected a plait.Graph"],
        id="not-a-graph",
    ),
    pytest.param(
        ["run", "cli_graphs:builder"],
        ["`cli_graphs:builder` is a GraphBuilder (`unbuilt`)", ".build(output)"],
        id="unbuilt-builder",
    ),
    pytest.param(
        ["run", "cli_graphs:shout"], ["is a node (`shout`)", "expected a plait.Graph"], id="node"
    ),
    pytest.param(
        ["run", "cli_graphs:needs_arguments"],
        ["`cli_graphs:needs_arguments` is a callable that needs arguments"],
        id="factory-with-arguments",
    ),
    pytest.param(
        ["run", "cli_graphs:returns_number"],
        ["`cli_graphs:returns_number` returned an int (42)", "expected a plait.Graph"],
        id="factory-returns-no-graph",
    ),
    pytest.param(
        ["run", "cli_graphs:greeting", "--input", "{bad"],
        ["--input is not valid JSON", "line 1 column 2"],
        id="input-not-json",
    ),
    pytest.param(
        ["run", "cli_graphs:greeting", "--input", '"ada"'],
        ["--input must be a JSON object", 'got a string: "ada"', "`name: str`"],
        id="input-json-string",
    ),
    pytest.param(
        ["run", "cli_graphs:greeting", "--input", "[1, 2]"],
        ["--input must be a JSON object", "got an array: [1, 2]"],
        id="input-json-array",
    ),
    pytest.param(
        ["run", "cli_graphs:greeting", "--input", "@no-such-inputs.json"],
        ["input file `no-such-inputs.json` not found"],
        id="input-file-missing",
    ),
    pytest.param(
        ["run", "cli_graphs:greeting", "--input", '{"name": "ada", "times": 1, "extra": 0}'],
        ["does not fit graph `greeting`", "unknown input `extra`"],
        id="unknown-input",
    ),
    pytest.param(
        ["run", "cli_graphs:greeting", "--input", '{"name": "ada"}'],
        ["does not fit graph `greeting`", "missing input `times` (`int`)"],
        id="missing-input",
    ),
    pytest.param(
        ["run", "cli_graphs:greeting", "--input", '{"name": "ada", "times": "many"}'],
        ['input `times` expects `int`, got "many"'],
        id="value-does-not-fit",
    ),
    pytest.param(
        ["run", "cli_graphs:greeting", "--max-concurrency", "0"],
        ["argument --max-concurrency", "got '0'"],
        id="bad-max-concurrency",
    ),
    pytest.param(
        ["run", "cli_graphs:greeting", "--timeout", "nan"],
        ["argument --timeout", "got 'nan'"],
        id="bad-timeout",
    ),
    pytest.param(["run"], ["required: TARGET"], id="no-target"),
    pytest.param([], ["missing COMMAND"], id="no-command"),
    pytest.param(["run", "cli_graphs:text", "--bogus"], ["--bogus"], id="unknown-option"),
]


@pytest.mark.usefixtures("in_cli_dir")
@pytest.mark.parametrize(("argv", "expected"), USAGE_ERRORS)
def test_usage_errors_exit_2_with_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], expected: list[str]
) -> None:
    code, out, err = run_cli(capsys, *argv)
    assert code == 2
    assert out == ""
    lines = stderr_lines(err)
    assert len(lines) == 1, err
    assert lines[0].startswith("plait: error: ")
    for text in expected:
        assert text in lines[0]


@pytest.mark.usefixtures("in_cli_dir")
def test_live_display_with_progress(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "run", "cli_graphs:failing", "-i", '{"x": 1}', "--progress")
    assert code == 1
    assert out == ""
    text = ANSI.sub("", err)
    assert "graph failing, failed, 1/2 done" in text
    assert re.search(r"add\s+done\s+1", text)
    assert re.search(r"explode\s+failed\s+2\s+\S+ s\s+ValueError: boom 2", text)
    assert "plait: node" not in text  # no plain log lines alongside the table
    assert stderr_lines(text)[-1].startswith("plait: error: run ")


def test_plain_lines_when_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    assert not plait.cli._observe.wants_live_display(None, "text")
    assert not plait.cli._observe.wants_live_display(None, "json")


# -- as a real process -----------------------------------------------------------------


def plait_process(*argv: str) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if key != "FORCE_COLOR"}
    return subprocess.run(
        [sys.executable, "-m", "plait", *argv],
        cwd=HERE,
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
        check=False,
    )


def test_process_version() -> None:
    done = plait_process("--version")
    assert done.returncode == 0
    assert done.stdout == f"plait {plait.__version__}\n"


def test_process_success_json_and_plain_progress() -> None:
    done = plait_process("run", "cli_graphs:greeting", "--input", GREETING, "--json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)  # exactly one document, nothing else on stdout
    assert document == {
        "run_id": document["run_id"],
        "status": "succeeded",
        "output": {"text": "hello ADA hello ADA", "count": 2},
    }
    lines = stderr_lines(done.stderr)
    assert lines[0] == f"plait: run {document['run_id']} started: graph greeting (2 nodes)"
    assert lines[1] == "plait: node shout started (attempt 1)"
    assert lines[-1].startswith(f"plait: run {document['run_id']} succeeded in ")
    assert "\x1b[" not in done.stderr


def test_process_failed_run() -> None:
    done = plait_process("run", "cli_graphs:failing", "--input", '{"x": 3}', "--json")
    assert done.returncode == 1
    document = json.loads(done.stdout)
    assert set(document) == {"run_id", "status", "output", "error"}
    assert (document["status"], document["output"]) == ("failed", None)
    assert "node `explode` failed after 2 attempts: ValueError: boom 6" in document["error"]
    assert done.stderr.splitlines()[-1] == f"plait: error: {document['error']}"
    assert "Traceback" not in done.stderr


def test_process_usage_error() -> None:
    done = plait_process("run", "cli_graphs:greeting", "--input", "[]", "--json")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("plait: error: --input must be a JSON object")


def test_process_invalid_graph() -> None:
    done = plait_process("run", "cli_invalid_graph:graph")
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith("plait: error: invalid definition in module")
    assert "[unknown-node]" in done.stderr
    assert "Traceback" not in done.stderr


def test_importing_the_cli_does_not_import_rich() -> None:
    code = "import sys, plait.cli; print(sorted(m for m in sys.modules if m.startswith('rich')))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout == "[]\n"


# -- plait.cli._progress -------------------------------------------------------------------


@node
async def step(x: int) -> int:
    """One of the fan-out steps."""
    return x


@node
async def combine(a: int, b: int, c: int, d: int, e: int) -> int:
    """Joins the fan-out."""
    return a + b + c + d + e


@node(retry=RetryPolicy(max_attempts=2, initial_delay=0.01, jitter=0))
async def flaky(x: int) -> int:
    """Always fails."""
    raise ValueError("flaky")


def fan_graph() -> Graph[int]:
    builder = GraphBuilder("fan", inputs={"x": int})
    steps = {name: builder.add(step, id=name, inputs={"x": "inputs.x"}) for name in "abcde"}
    return builder.build(builder.add(combine, inputs=steps))


def failing_graph() -> Graph[int]:
    builder = GraphBuilder("flaky", inputs={"x": int})
    first = builder.add(step, inputs={"x": "inputs.x"})
    return builder.build(builder.add(flaky, inputs={"x": first}))


def fan_events() -> list[Event]:
    return [
        RunStarted(seq=0, time=10.0, graph="fan", content_hash="h", inputs={"x": 1}, run_id="r1"),
        NodeStarted(seq=1, time=10.0, node="a", attempt=1, run_id="r1"),
        NodeFinished(seq=2, time=10.5, node="a", attempt=1, duration=0.5, output=1, run_id="r1"),
        NodeStarted(seq=3, time=10.0, node="b", attempt=1, run_id="r1"),
        NodeStarted(seq=4, time=10.0, node="c", attempt=1, run_id="r1"),
        NodeRetrying(
            seq=5, time=10.2, node="c", attempt=1, delay=0.5, error=ValueError("x"), run_id="r1"
        ),
        NodeStarted(seq=6, time=10.0, node="d", attempt=1, run_id="r1"),
        NodeFailed(seq=7, time=11.0, node="d", attempt=1, error=KeyError("k"), run_id="r1"),
        NodeStarted(seq=8, time=10.0, node="e", attempt=1, run_id="r1"),
        NodeCancelled(seq=9, time=11.0, node="e", attempt=1, run_id="r1"),
    ]


def render(table: ProgressTable) -> str:
    console = Console(file=io.StringIO(), force_terminal=True, width=100)
    console.print(table)
    output = console.file
    assert isinstance(output, io.StringIO)
    return ANSI.sub("", output.getvalue())


def test_describe_error() -> None:
    assert describe_error(ValueError("boom\nmore")) == "ValueError: boom"
    assert describe_error(RuntimeError()) == "RuntimeError"


def test_log_lines_one_per_event() -> None:
    stream = io.StringIO()
    log = LogLines(fan_graph(), stream)
    events = [
        *fan_events(),
        NodeSkipped(seq=10, run_id="r1", time=11.0, node="combine", reason="an input failed"),
        RunFinished(seq=11, run_id="r1", time=11.0, status=RunStatus.FAILED, duration=1.0),
    ]
    for event in events:
        log(event)
    assert stream.getvalue().splitlines() == [
        "plait: run r1 started: graph fan (6 nodes)",
        "plait: node a started (attempt 1)",
        "plait: node a done in 0.500 s",
        "plait: node b started (attempt 1)",
        "plait: node c started (attempt 1)",
        "plait: node c retrying in 0.50 s after attempt 1: ValueError: x",
        "plait: node d started (attempt 1)",
        "plait: node d failed after 1 attempt: KeyError: 'k'",
        "plait: node e started (attempt 1)",
        "plait: node e cancelled (attempt 1)",
        "plait: node combine skipped: an input failed",
        "plait: run r1 failed in 1.000 s",
    ]


def test_progress_table_shows_every_state() -> None:
    table = ProgressTable(fan_graph(), now=lambda: 12.0)
    text = render(table)
    assert "run, graph fan, starting, 0/6 done" in text
    for event in fan_events():
        table(event)
    text = render(table)
    assert "plait: run r1, graph fan, running, 1/6 done, 2.00 s" in text
    rows = {line.split()[0]: line for line in text.splitlines()[2:] if line.strip()}
    assert re.search(r"done\s+1\s+0\.50 s", rows["a"])
    assert re.search(r"running\s+1\s+2\.00 s", rows["b"])
    retrying = r"retrying after attempt 1\s+1\s+2\.00 s\s+next in 0\.50 s; ValueError: x"
    assert re.search(retrying, rows["c"])
    assert re.search(r"failed\s+1\s+1\.00 s\s+KeyError: 'k'", rows["d"])
    assert re.search(r"cancelled\s+1\s+1\.00 s", rows["e"])
    assert "queued" in rows["combine"]

    table(NodeStarted(seq=10, run_id="r1", time=11.0, node="c", attempt=2))
    assert re.search(r"c\s+running \(attempt 2\)\s+2", render(table))
    table(RunFinished(seq=11, run_id="r1", time=11.5, status=RunStatus.FAILED, duration=1.5))
    assert "plait: run r1, graph fan, failed, 1/6 done, 1.50 s" in render(table)


def test_progress_table_as_a_run_listener() -> None:
    graph = failing_graph()
    table = ProgressTable(graph)
    result = graph.run_sync({"x": 1}, listeners=(table,))
    assert result.status is RunStatus.FAILED
    assert table.run_id == result.run_id
    assert [(row.node, row.state, row.attempt) for row in table.rows.values()] == [
        ("step", "done", 1),
        ("flaky", "failed", 2),
    ]
    text = render(table)
    assert f"run {result.run_id}, graph flaky, failed, 1/2 done" in text
    assert "ValueError: flaky" in text


def test_live_progress_draws_the_final_state() -> None:
    graph = fan_graph()
    console = Console(file=io.StringIO(), force_terminal=True, width=100)
    with live_progress(graph, console=console, now=lambda: 12.0, run_id="r1") as table:
        for event in fan_events():
            table(event)
    output = console.file
    assert isinstance(output, io.StringIO)
    text = ANSI.sub("", output.getvalue())
    for state in ("queued", "running", "done", "failed", "retrying after attempt 1", "cancelled"):
        assert state in text
    assert "plait: run r1, graph fan, running, 1/6 done" in text


@pytest.mark.usefixtures("in_cli_dir")
def test_the_cli_leaves_unknown_and_missing_inputs_to_the_engines_one_check(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[object] = []
    check = plait.engine._inputs.check_inputs

    def counted(graph: object, inputs: object) -> None:
        calls.append(inputs)
        check(graph, inputs)  # type: ignore[arg-type]

    monkeypatch.setattr("plait.engine._api.check_inputs", counted)
    code = plait.cli.main(
        ["run", "cli_graphs:greeting", "--no-store", "--input", '{"name": "ada", "extra": 0}']
    )
    err = capsys.readouterr().err
    assert code == 2
    assert calls == [{"name": "ada", "extra": 0}]
    assert err.strip().splitlines() == [
        "plait: error: --input does not fit graph `greeting`: missing input `times` (`int`); "
        "unknown input `extra` (the graph's inputs: `name`, `times`)"
    ]
