"""Cassettes: a run's effect journal written to a file, and replayed from it offline.

``Cassette(path, mode="record")`` records; ``Cassette(path)`` (``mode="replay"``) loads the
file and replays it. ``with_cassette(graph, cassette)`` is the graph with every agent
(``graphs.with_nodes``, bodies included) journaling through the cassette: recording, the
run's journal entries are also written to the file; replaying, the file is the agents'
journal, so they replay every call as a resumed agent does and call neither the model nor
their tools. A replaying agent never resolves its model string, so it needs no API key
and opens no connection.

Calls are keyed by run, node path and journal index: the calls of node ``each[2]/fetch``
in the k-th run of the cassette, each model call with the tool calls its reply asked for
(by call id, in the reply's order). The file is canonical JSON (or YAML for a ``.yaml``
path) made like a trace's: the same ``Redaction``, so API keys (and the keys of each
agent's catalog configuration) and configured fields are masked.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Literal, cast

from plait.engine import Redaction
from plait.graphs import Graph, with_nodes
from plait.nodes import (
    PROVIDERS,
    AgentNode,
    Journal,
    ModelCatalog,
    Node,
    PlaitError,
    dump_yaml,
    load_yaml,
)
from plait.testing._cassette_agent import cassette_agent
from plait.testing._cassette_journal import CassetteJournal, CassetteMismatchError, Reel

__all__ = [
    "CASSETTE_VERSION",
    "Cassette",
    "CassetteError",
    "CassetteMismatchError",
    "CassetteMode",
    "with_cassette",
]

CASSETTE_VERSION = 1

CassetteMode = Literal["record", "replay"]
_MODES = ("record", "replay")


class CassetteError(PlaitError):
    """A cassette file is missing or not a cassette."""


class Cassette:
    """The recorded calls of one or more runs, and the file they live in.

    In ``record`` mode it starts empty and fills as wrapped graphs run; ``save()`` writes
    the file. In ``replay`` mode the file is read at once; each run of a wrapped graph
    replays the next recorded run (runs are told apart by run id: run them one by one).
    Each agent execution journals through ``journal(...)``.

    Raises:
        CassetteError: in replay mode, when the file is missing or not a cassette.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        mode: CassetteMode = "replay",
        redaction: Redaction | None = None,
    ) -> None:
        if mode not in _MODES:
            raise ValueError(f"cassette mode {mode!r}: expected record or replay")
        self.path = Path(path)
        self.mode: CassetteMode = mode
        self.redaction = redaction or Redaction()
        self.reels = [Reel(*run) for run in _read(self.path)] if mode == "replay" else []
        self.mismatches: list[CassetteMismatchError] = []
        """Every mismatch met while replaying (also raised where it happened)."""
        self._secrets: list[object] = []
        self._run_of: dict[str, int] = {}

    @property
    def runs(self) -> list[dict[str, list[dict[str, object]]]]:
        """The recorded runs: node path -> its calls, as canonical JSON data."""
        return [reel.nodes for reel in self.reels]

    def add_secrets(self, value: object) -> None:
        """Scrub the secrets inside ``value`` (a catalog's configuration) from every call."""
        self._secrets.append(value)

    def journal(self, run_id: str, node: str, attempt: int, inner: Journal) -> CassetteJournal:
        """The journal of one execution of the agent at ``node`` in run ``run_id`` (the
        next recorded run, for a new id), over the run's own journal ``inner``.

        Raises:
            CassetteMismatchError: replaying a run beyond those recorded.
        """
        run = self._run_of.get(run_id)
        if run is None:
            run = self._run_of[run_id] = len(self._run_of)
            if self.mode == "record":
                self.reels.append(Reel({}))
        found = CassetteJournal(
            self.reels[run] if run < len(self.reels) else Reel({}),
            mode=self.mode,
            run_id=run_id,
            node=node,
            attempt=attempt,
            inner=inner,
            redaction=self.redaction,
            secrets=tuple(self._secrets),
            mismatches=self.mismatches,
        )
        if run >= len(self.reels):
            problem = f"the cassette holds {len(self.reels)} run(s); this is run {run + 1}"
            raise found.mismatch(0, "llm", problem)
        return found

    def to_dict(self) -> dict[str, object]:
        """The cassette as JSON-ready data: ``version``, then ``runs``."""
        return {
            "version": CASSETTE_VERSION,
            "runs": [
                {
                    "nodes": {path: reel.nodes[path] for path in sorted(reel.nodes)},
                    **(
                        {"mcp": {path: reel.mcp[path] for path in sorted(reel.mcp)}}
                        if reel.mcp
                        else {}
                    ),
                }
                for reel in self.reels
            ],
        }

    def dumps(self) -> str:
        """The file's text: JSON like a trace's (two-space indent, a trailing newline), or
        YAML when the path ends in ``.yaml``/``.yml``."""
        if _is_yaml(self.path):
            return dump_yaml(self.to_dict())
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"

    def save(self) -> Path:
        """Write the file (creating its folder) and return its path."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(self.dumps(), encoding="utf-8")
        return self.path

    def wrap(self, graph: Graph[object]) -> Graph[object]:
        """``with_cassette(graph, self)``."""
        return with_cassette(graph, self)

    def __repr__(self) -> str:
        return f"Cassette({str(self.path)!r}, mode={self.mode!r})"


def with_cassette(graph: Graph[object], cassette: Cassette) -> Graph[object]:
    """``graph`` with every agent (at any depth) journaling through ``cassette``.

    Recording, each agent calls its own client (resolved per execution, as usual) and
    tools, and its journal entries are written to the cassette too; replaying, the
    cassette is its journal: every call is replayed from the file and no tool runs.
    """

    def change(node: Node[object]) -> Node[object]:
        if not isinstance(node, AgentNode):
            return node
        catalog = node.models or ModelCatalog()  # the keys the environment supplies, too
        cassette.add_secrets([catalog.config, *(catalog.provider(name) for name in PROVIDERS)])
        return cast(Node[object], cassette_agent(cast(AgentNode[object], node), cassette))

    return with_nodes(graph, change)


def _is_yaml(path: Path) -> bool:
    return path.suffix.lower() in (".yaml", ".yml")


def _read(path: Path) -> list[tuple[dict[str, list[dict[str, object]]], dict[str, object]]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CassetteError(
            f"no cassette at {path}: record it first (pytest --plait-cassette=record, "
            "or Cassette(path, mode='record') and save())"
        ) from None
    if _is_yaml(path):
        try:
            data: object = load_yaml(text, source=str(path))
        except ValueError as error:
            raise CassetteError(str(error)) from None
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise CassetteError(
                f"{path}: invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}"
            ) from None
    return _runs(data, str(path))


def _runs(
    data: object, source: str
) -> list[tuple[dict[str, list[dict[str, object]]], dict[str, object]]]:
    if not isinstance(data, Mapping):
        raise CassetteError(f"{source}: $: expected a cassette object")
    if data.get("version") != CASSETTE_VERSION:
        raise CassetteError(
            f"{source}: $.version: expected {CASSETTE_VERSION}, got {data.get('version')!r}"
        )
    runs = data.get("runs")
    if not isinstance(runs, list):
        raise CassetteError(f"{source}: $.runs: expected a list")
    found: list[tuple[dict[str, list[dict[str, object]]], dict[str, object]]] = []
    for index, run in enumerate(runs):
        where = f"$.runs[{index}].nodes"
        nodes = run.get("nodes") if isinstance(run, Mapping) else None
        if not isinstance(nodes, Mapping):
            raise CassetteError(f"{source}: {where}: expected an object of node paths")
        table: dict[str, list[dict[str, object]]] = {}
        for path, calls in nodes.items():
            if not isinstance(calls, list) or not all(isinstance(c, Mapping) for c in calls):
                raise CassetteError(f"{source}: {where}.{path}: expected a list of calls")
            for number, call in enumerate(calls, 1):
                if "request" not in call or ("response" not in call and "error" not in call):
                    raise CassetteError(
                        f"{source}: {where}.{path}[{number - 1}]: a call needs a request "
                        "and a response or an error"
                    )
            table[str(path)] = [dict(call) for call in calls]
        mcp = run.get("mcp") or {}
        if not isinstance(mcp, Mapping) or not all(isinstance(v, Mapping) for v in mcp.values()):
            raise CassetteError(f"{source}: $.runs[{index}].mcp: expected an object of node paths")
        found.append((table, {str(path): dict(parts) for path, parts in mcp.items()}))
    return found
