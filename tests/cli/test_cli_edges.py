"""The CLI's rough edges: a closed pipe, an unwritable --trace, SIGTERM, resume hints that
paste as is, targets that raise, and run ids with control characters."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

from plait.cli import main
from plait.cli._hints import answer_shape

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
HELPER_MODULES = ("cli_edges_graphs", "cli_missing_dependency")


@pytest.fixture(autouse=True)
def _in_a_fresh_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.syspath_prepend(str(ROOT))
    monkeypatch.syspath_prepend(str(HERE))
    yield
    for name in HELPER_MODULES:
        sys.modules.pop(name, None)


def _plait(
    *argv: str, cwd: Path, stdout: int | IO[bytes] | None = None, stderr: int | IO[bytes]
) -> subprocess.Popen[str]:
    """``python -m plait ARGV`` in ``cwd``, finding this directory's target modules."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT)])}
    command = [sys.executable, "-m", "plait", *argv]
    return subprocess.Popen(command, cwd=cwd, env=env, stdout=stdout, stderr=stderr, text=True)


def _lines(text: str) -> list[str]:
    return text.rstrip("\n").split("\n") if text else []


def test_a_closed_pipe_on_stdout_ends_the_command_quietly(tmp_path: Path) -> None:
    errors = tmp_path / "stderr.txt"
    with errors.open("wb") as stderr:
        process = _plait("runs", cwd=tmp_path, stdout=subprocess.PIPE, stderr=stderr)
        with process:
            assert process.stdout is not None
            process.stdout.close()  # the reader goes away before a line is written, as `| head`

            code = process.wait(timeout=60)

    assert errors.read_text() == ""
    assert code == 141


def test_an_unwritable_trace_path_fails_before_the_run_starts(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "a-file").write_text("")
    run = ["run", "cli_edges_graphs:slow", "--input", '{"seconds": 0}']

    for path, problem in (
        ("missing/t.json", "the directory `missing` does not exist (create it, or write the "),
        ("a-file/t.json", "the directory `a-file` is not a directory (create it, or write the "),
        (".", "it is a directory; expected a file such as run.trace.json"),
    ):
        assert main([*run, "--trace", path]) == 2
        captured = capsys.readouterr()
        assert captured.out == ""
        assert len(_lines(captured.err)) == 1
        assert captured.err.startswith(f"plait: error: --trace `{path}`: {problem}")
    assert not (tmp_path / ".plait").exists()  # no store opened, no run recorded


def test_sigterm_is_an_interrupt_the_run_is_cancelled_and_resumable(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'runs.db'}"  # four slashes: an absolute path
    run = ["run", "cli_edges_graphs:slow", "--input", '{"seconds": 60}', "--store", store]
    process = _plait(*run, cwd=tmp_path, stderr=subprocess.PIPE)
    with process:
        try:
            assert process.stderr is not None
            seen = []
            for line in process.stderr:
                seen.append(line)
                if "node nap started" in line:
                    process.send_signal(signal.SIGTERM)
                    break
            code = process.wait(timeout=30)
            err = "".join(seen) + process.stderr.read()
        finally:
            if process.poll() is None:
                process.kill()

    assert code == 130, err
    last = _lines(err)[-1]
    assert last.startswith("plait: error: run ")
    run_id = last.split()[3]
    assert last == (
        f"plait: error: run {run_id} was interrupted; resume with: "
        f"plait resume {run_id} --graph cli_edges_graphs:slow --store {store}"
    )
    listing = subprocess.run(
        [sys.executable, "-m", "plait", "runs", "--json", "--store", store],
        capture_output=True,
        text=True,
        check=True,
    )
    assert [(row["run_id"], row["status"]) for row in json.loads(listing.stdout)] == [
        (run_id, "cancelled")
    ]


def _answer_line(err: str) -> str:
    found = [line for line in _lines(err) if line.startswith("plait: answer with: ")]
    assert len(found) == 1, err
    return found[0].removeprefix("plait: answer with: ")


def test_the_resume_hint_of_a_waiting_run_pastes_as_is(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    store = "sqlite:///it's here/runs.db"  # a quote and a space: the hint must quote them
    run = ["run", "examples.approval:graph", "--input", '{"amount": 30}', "--store", store]
    assert main(run) == 3
    hint = _answer_line(capsys.readouterr().err)

    assert "--graph examples.approval:graph" in hint
    assert '{"approve": {"approved": <boolean>, "note": ""}}' in hint
    argv = shlex.split(hint.replace("<boolean>", "true"))
    assert argv[:2] == ["plait", "resume"]
    assert main(argv[1:]) == 0
    assert capsys.readouterr().out == "sent: refund of 30 EUR for order 1042\n"


def test_a_resumed_run_that_still_waits_names_its_graph_in_the_hint(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "plait.yaml").write_text("graphs: {approval: 'examples.approval:graph'}\n")
    assert main(["run", "examples.approval:graph", "--input", '{"amount": 5}', "--json"]) == 3
    run_id = json.loads(capsys.readouterr().out)["run_id"]

    assert main(["resume", run_id]) == 3  # no answer: it waits again
    hint = _answer_line(capsys.readouterr().err)

    assert shlex.split(hint)[:5] == [
        "plait",
        "resume",
        run_id,
        "--graph",
        "examples.approval:graph",
    ]


@pytest.mark.parametrize(
    ("schema", "shape"),
    [
        pytest.param({"type": "string"}, "<string>", id="string"),
        pytest.param({"enum": ["yes", "no"]}, '<"yes" | "no">', id="enum"),
        pytest.param(
            {"type": "array", "items": {"type": "integer"}}, "[<integer>, ...]", id="array"
        ),
        pytest.param({"anyOf": [{"type": "number"}, {"type": "null"}]}, "<number | null>", id="or"),
        pytest.param(
            {
                "type": "object",
                "properties": {"who": {"$ref": "#/$defs/Person"}},
                "required": ["who"],
                "$defs": {"Person": {"properties": {"name": {"type": "string"}}}},
            },
            '{"who": {"name": <string>}}',
            id="nested-ref",
        ),
        pytest.param({}, "<any JSON value>", id="anything"),
    ],
)
def test_answer_shapes(schema: dict[str, object], shape: str) -> None:
    assert answer_shape(schema) == shape


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        pytest.param(
            "cli_edges_graphs:raising_factory",
            "plait: error: calling `cli_edges_graphs:raising_factory` raised KeyError: 'name' (at ",
            id="factory-raises",
        ),
        pytest.param(
            "cli_missing_dependency:graph",
            "plait: error: importing module `cli_missing_dependency` raised "
            "ModuleNotFoundError: No module named 'plait_test_package_that_is_not_installed' "
            "(at ",
            id="import-of-a-missing-dependency",
        ),
    ],
)
def test_a_target_that_raises_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], target: str, expected: str
) -> None:
    assert main(["run", target]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(_lines(captured.err)) == 1
    assert captured.err.startswith(expected)
    assert "Traceback" not in captured.err


@pytest.mark.parametrize("run_id", ["\x1b[2J01m8", "01m8\nplait: forged", "01m8\x00", ""])
@pytest.mark.parametrize(
    "command",
    [["resume"], ["fork"], ["runs", "show"], ["trace"]],
    ids=["resume", "fork", "runs-show", "trace"],
)
def test_run_ids_with_control_characters_are_refused(
    capsys: pytest.CaptureFixture[str], command: list[str], run_id: str
) -> None:
    assert main([*command, run_id]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(_lines(captured.err)) == 1
    assert captured.err.startswith("plait: error: ")
    assert "run id" in captured.err.lower()
    assert not any(char in captured.err.rstrip("\n") for char in "\x1b\x00\n")
    assert not Path(".plait").exists()  # refused before any store is opened
