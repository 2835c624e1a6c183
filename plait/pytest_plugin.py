"""plait's pytest plugin: run graphs into canonical traces and snapshot them with syrupy.

Fixtures:

- ``plait_trace``: runs a graph and returns its ``Trace``: ``plait_trace.run_sync(graph,
  inputs)`` in a sync test, ``await plait_trace.run(graph, inputs)`` in an async one;
  ``plait_trace.result`` is the last run's ``RunResult``.
- ``trace_snapshot``: syrupy's ``snapshot``, storing each trace as a readable file of its
  own, ``__snapshots__/<test module>/<test name>.trace.json`` (``.trace.yaml`` with the
  ini option ``plait_trace_format = yaml``): ``assert trace == trace_snapshot``. A
  mismatch shows the node-by-node trace diff; ``--snapshot-update`` writes the files.
- ``plait_redaction``: the ``Redaction`` traces (and cassettes) are made with; override
  it in a ``conftest.py`` to mask more fields.
- ``plait_cassette``: a ``Cassette`` for the test, at
  ``cassettes/<test module>/<test name>.cassette.json`` beside the test file:
  ``plait_cassette.wrap(graph)`` is the graph with its agents' model and tool calls
  recorded or replayed. Replay is the default; ``--plait-cassette=record`` (or
  ``@pytest.mark.plait_cassette(mode="record")``) records and writes the file after the
  test. With ``CI`` set, only replay is allowed. ``@pytest.mark.plait_cassette(path=...)``
  picks another file (relative to the test file). A replay mismatch fails the test.

The syrupy extensions are ``plait.pytest_plugin.TraceSnapshotExtension`` and
``YamlTraceSnapshotExtension`` (for ``snapshot.use_extension(...)``). Loading the plugin
imports neither syrupy nor anything beyond ``import plait``: each part loads when a test
first uses it. PYTEST_DONT_REWRITE: the plugin has no asserts to rewrite, and it may be
imported before pytest could.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from syrupy.assertion import SnapshotAssertion
    from syrupy.extensions.single_file import SingleFileSnapshotExtension
    from syrupy.types import PropertyFilter, PropertyMatcher, SerializableData, SerializedData

    from plait.engine import Redaction, RunOptions, RunResult, Trace
    from plait.graphs import Graph
    from plait.testing._cassette import Cassette, CassetteMode

__all__ = [
    "TraceRunner",
    "plait_cassette",
    "plait_redaction",
    "plait_trace",
    "pytest_addoption",
    "pytest_configure",
    "trace_snapshot",
]

_FORMAT_OPTION = "plait_trace_format"
_FORMATS = ("json", "yaml")
_CASSETTE_OPTION = "--plait-cassette"
_CASSETTE_DEST = "plait_cassette"
_CASSETTE_MODES = ("record", "replay")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        _FORMAT_OPTION,
        "file format of plait trace snapshots: json (default) or yaml",
        default="json",
    )
    parser.getgroup("plait").addoption(
        _CASSETTE_OPTION,
        dest=_CASSETTE_DEST,
        choices=_CASSETTE_MODES,
        default=None,
        help="plait_cassette: record the LLM and tool calls, or replay them (the default; "
        "the only mode when CI is set)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "plait_cassette(mode=None, path=None): the plait_cassette fixture's mode "
        "(record or replay) and file (relative to the test file)",
    )


class TraceRunner:
    """Runs graphs for a test and returns their canonical traces."""

    def __init__(self, redaction: Redaction) -> None:
        self.redaction = redaction
        self._result: RunResult[object] | None = None

    @property
    def result(self) -> RunResult[object]:
        """The result of the last run.

        Raises:
            RuntimeError: when nothing has run yet.
        """
        if self._result is None:
            raise RuntimeError("plait_trace has not run a graph yet")
        return self._result

    async def run(
        self,
        graph: Graph[object],
        inputs: Mapping[str, object] | None = None,
        /,
        *,
        options: RunOptions | None = None,
    ) -> Trace:
        """Run ``graph`` on ``inputs`` and return its trace; a failed run does not raise.

        Without ``options``, the run uses a ``ManualClock`` (retries do not sleep) and
        seed 0.
        """
        from plait.engine import trace

        result, found = await trace(
            graph, inputs, options=options or _test_options(), redaction=self.redaction
        )
        self._result = result
        return found

    def run_sync(
        self,
        graph: Graph[object],
        inputs: Mapping[str, object] | None = None,
        /,
        *,
        options: RunOptions | None = None,
        backend: str = "asyncio",
    ) -> Trace:
        """``run`` for sync tests: runs the graph in a fresh ``asyncio`` or ``trio`` loop."""
        from plait.engine import trace_sync

        result, found = trace_sync(
            graph,
            inputs,
            options=options or _test_options(),
            redaction=self.redaction,
            backend=backend,
        )
        self._result = result
        return found


def _test_options() -> RunOptions:
    from plait.engine import ManualClock, RunOptions

    return RunOptions(clock=ManualClock(), seed=0)


@pytest.fixture
def plait_redaction() -> Redaction:
    """What traces mask: the default field names and secret values. Override to add more."""
    from plait.engine import Redaction

    return Redaction()


@pytest.fixture
def plait_trace(plait_redaction: Redaction) -> TraceRunner:
    """Runs a graph and returns its trace: ``plait_trace.run_sync(graph, inputs)``."""
    return TraceRunner(plait_redaction)


@pytest.fixture
def plait_cassette(
    request: pytest.FixtureRequest, plait_redaction: Redaction
) -> Iterator[Cassette]:
    """A cassette for this test: ``plait_cassette.wrap(graph)`` records or replays its calls."""
    from plait.testing._cassette import Cassette, CassetteError

    mode, path = _cassette_choice(request)
    try:
        cassette = Cassette(path, mode=mode, redaction=plait_redaction)
    except CassetteError as error:
        pytest.fail(str(error), pytrace=False)
    yield cassette
    if mode == "record":
        cassette.save()
    elif cassette.mismatches:
        shown = "\n".join(str(error) for error in cassette.mismatches)
        pytest.fail(f"{cassette.path}:\n{shown}", pytrace=False)


def _cassette_choice(request: pytest.FixtureRequest) -> tuple[CassetteMode, Path]:
    marker = request.node.get_closest_marker("plait_cassette")
    kwargs = dict(marker.kwargs) if marker is not None else {}
    if marker is not None and marker.args:
        kwargs.setdefault("mode", marker.args[0])
    chosen = kwargs.get("mode") or request.config.getoption(_CASSETTE_DEST, default=None)
    mode = str(chosen or "replay").strip().lower()
    if mode not in _CASSETTE_MODES:
        pytest.fail(f"plait_cassette mode {mode!r}: expected record or replay", pytrace=False)
    if mode == "record" and _in_ci():
        pytest.fail(
            "plait_cassette: recording is off when CI is set (cassettes replay in CI); "
            "record locally and commit the cassette",
            pytrace=False,
        )
    folder = Path(request.path).parent
    given = kwargs.get("path")
    if given is not None:
        return ("record" if mode == "record" else "replay"), folder / str(given)
    name = re.sub(r"[^\w.\-]+", "_", request.node.name).strip("_")
    default = folder / "cassettes" / Path(request.path).stem / f"{name}.cassette.json"
    return ("record" if mode == "record" else "replay"), default


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture
def trace_snapshot(request: pytest.FixtureRequest) -> SnapshotAssertion:
    """syrupy's ``snapshot`` storing traces as ``.trace.json`` (or ``.trace.yaml``) files."""
    try:
        snapshot: SnapshotAssertion = request.getfixturevalue("snapshot")
    except pytest.FixtureLookupError:
        pytest.fail("trace_snapshot needs syrupy: pip install syrupy", pytrace=False)
    try:
        chosen = str(request.config.getini(_FORMAT_OPTION) or "json").strip().lower()
    except ValueError:  # the fixtures were imported without the plugin's options
        chosen = "json"
    if chosen not in _FORMATS:
        pytest.fail(
            f"ini option {_FORMAT_OPTION} = {chosen!r}: expected json or yaml", pytrace=False
        )
    name = "YamlTraceSnapshotExtension" if chosen == "yaml" else "TraceSnapshotExtension"
    return snapshot.use_extension(_extensions()[name])


@functools.cache
def _extensions() -> Mapping[str, type[SingleFileSnapshotExtension]]:
    """The syrupy extensions, made on first use so loading the plugin never loads syrupy."""
    from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

    from plait.engine import Trace, diff

    class TraceSnapshotExtension(SingleFileSnapshotExtension):
        """One ``.trace.json`` file per snapshot; mismatches show the trace diff."""

        file_extension = "trace.json"
        _write_mode = WriteMode.TEXT

        def write(self, trace: Trace) -> str:
            return trace.to_json()

        def read(self, text: str, source: str) -> Trace:
            return Trace.from_json(text, source=source)

        def serialize(
            self,
            data: SerializableData,
            *,
            exclude: PropertyFilter | None = None,
            include: PropertyFilter | None = None,
            matcher: PropertyMatcher | None = None,
        ) -> SerializedData:
            if not isinstance(data, Trace):
                raise TypeError(
                    f"trace_snapshot stores plait traces, got {type(data).__name__}: "
                    "compare plait_trace.run_sync(graph, inputs) (a Trace) with it"
                )
            return self.write(data)

        def diff_lines(
            self, serialized_data: SerializedData, snapshot_data: SerializedData
        ) -> Iterator[str]:
            try:
                stored = self.read(str(snapshot_data), "the snapshot")
                received = self.read(str(serialized_data), "the received trace")
            except ValueError:  # not a trace (an old format, a hand edit): compare text
                yield from super().diff_lines(serialized_data, snapshot_data)
                return
            changes = diff(stored, received)
            if not changes:  # equal traces, written differently
                yield from super().diff_lines(serialized_data, snapshot_data)
                return
            yield "trace differs from the snapshot (- snapshot, + received):"
            yield from changes.text.splitlines()

    class YamlTraceSnapshotExtension(TraceSnapshotExtension):
        """One ``.trace.yaml`` file per snapshot; mismatches show the trace diff."""

        file_extension = "trace.yaml"

        def write(self, trace: Trace) -> str:
            return trace.to_yaml()

        def read(self, text: str, source: str) -> Trace:
            return Trace.from_yaml(text, source=source)

    return {
        "TraceSnapshotExtension": TraceSnapshotExtension,
        "YamlTraceSnapshotExtension": YamlTraceSnapshotExtension,
    }


def __getattr__(name: str) -> type[SingleFileSnapshotExtension]:
    """``TraceSnapshotExtension`` and ``YamlTraceSnapshotExtension``, made on first use."""
    if name in ("TraceSnapshotExtension", "YamlTraceSnapshotExtension"):
        return _extensions()[name]
    raise AttributeError(f"module 'plait.pytest_plugin' has no attribute {name!r}")
