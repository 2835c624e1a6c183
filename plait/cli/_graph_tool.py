"""A graph as one tool: its input and output schemas, a run per call, answers resuming it.

No MCP here: ``_mcp_serve`` turns these outcomes into MCP results and elicitations.
Every run is checkpointed to the store, so a waiting run can be answered later, by an
elicitation or by ``plait resume``.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from plait.cli._hints import ResumeHint, answer_shape
from plait.cli._usage import CliError

if TYPE_CHECKING:
    from plait.engine import RunResult, Store
    from plait.graphs import Graph
    from plait.nodes import Arguments, MCPHub, Secrets

__all__ = [
    "ANSWER_FIELD",
    "Finished",
    "GraphTool",
    "Outcome",
    "Question",
    "Refused",
    "Waiting",
    "tool_of",
]

_PRIMITIVES = frozenset({"string", "number", "integer", "boolean"})
ANSWER_FIELD = "answer"
"""The one field of a form asking for an answer that is not an object."""


@dataclass(frozen=True, slots=True)
class Finished:
    """The run succeeded: ``structured`` is its output as a JSON object, ``text`` as text."""

    run_id: str
    structured: dict[str, object]
    text: str


@dataclass(frozen=True, slots=True)
class Refused:
    """Nothing to return: bad arguments, a failed run, a refused answer."""

    message: str
    run_id: str | None = None


@dataclass(frozen=True, slots=True)
class Question:
    """What a waiting run asks, with a flat form for an elicitation when one fits."""

    node: str
    question: str
    schema: Mapping[str, object]
    form: dict[str, object] | None
    """A form (an object of primitive fields) asking for the answer, or None: no form fits."""
    wrapped: bool
    """The form's one field ``answer`` holds the answer (it is not an object itself)."""

    def answer_of(self, content: Mapping[str, object]) -> object:
        """The answer a filled-in form gives."""
        return content.get(ANSWER_FIELD) if self.wrapped else dict(content)


@dataclass(frozen=True, slots=True)
class Waiting:
    """The run waits for answers; ``hint`` is the ``plait resume`` line giving them."""

    run_id: str
    questions: tuple[Question, ...]
    hint: str

    @property
    def message(self) -> str:
        """What the run asks and how to answer, for a client that cannot be asked."""
        asked = "; ".join(f"`{item.node}`: {item.question}" for item in self.questions)
        return f"run {self.run_id} waits for input: {asked}\nanswer with: {self.hint}"

    def document(self) -> dict[str, object]:
        """The same as a JSON object."""
        questions = [
            {"node": item.node, "question": item.question, "schema": dict(item.schema)}
            for item in self.questions
        ]
        return {
            "run_id": self.run_id,
            "status": "waiting",
            "questions": questions,
            "resume": self.hint,
        }


Outcome = Finished | Refused | Waiting


@dataclass(frozen=True, slots=True)
class GraphTool:
    """Runs ``graph`` per call, checkpointed to ``store``; ``hint`` names it for resuming."""

    graph: Graph[object]
    store: Store
    hint: ResumeHint
    secrets: Secrets | None
    arguments: Arguments
    output_schema: dict[str, object] | None
    """The JSON Schema of the structured result, None when the output type has none."""
    wrap_output: bool
    """The output is not an object: the structured result is ``{"result": output}``."""
    mcp: MCPHub | None = None
    """The MCP servers of the graph's agents, open for the whole serving process and shared
    by every call (started once), or None when no agent uses one."""

    @property
    def name(self) -> str:
        """The tool's name: the graph's, in the characters MCP allows."""
        return re.sub(r"[^A-Za-z0-9_.-]", "_", self.graph.name)[:128] or "graph"

    @property
    def description(self) -> str:
        """The graph's description, else a line naming it."""
        return self.graph.description or f"Run the plait graph `{self.graph.name}`."

    @property
    def input_schema(self) -> dict[str, object]:
        """The JSON Schema of the graph's inputs, as one object."""
        return dict(self.arguments.schema)

    async def start(self, arguments: Mapping[str, object] | None) -> Outcome:
        """Run the graph on ``arguments`` (JSON values, decoded to the inputs' types)."""
        from plait.engine import RunOptions, new_run_id, run
        from plait.nodes import InputError, type_name

        try:
            inputs = self.arguments.validate(dict(arguments or {}))
        except ValueError as error:
            declared = self.graph.inputs.items()
            takes = ", ".join(f"`{name}: {type_name(tp)}`" for name, tp in declared)
            return Refused(
                f"the arguments do not fit graph `{self.graph.name}` (it takes "
                f"{takes or 'no inputs'}): {error}"
            )
        options = RunOptions(
            run_id=new_run_id(), store=self.store, secrets=self.secrets, mcp=self.mcp
        )
        try:
            result = await run(self.graph, inputs, options=options)
        except InputError as error:
            return Refused(f"the arguments do not fit graph `{self.graph.name}`: {error}")
        return self._outcome(result)

    async def answer(self, run_id: str, answers: Mapping[str, object]) -> Outcome:
        """Store ``answers`` for waiting run ``run_id`` and resume it."""
        from plait.engine import GraphChangedError, RunLockedError, RunOptions, StoreError, resume
        from plait.nodes import RunError

        try:
            result = await resume(
                self.graph,
                run_id,
                store=self.store,
                answers=answers,
                options=RunOptions(secrets=self.secrets, mcp=self.mcp),
            )
        except (GraphChangedError, RunLockedError, StoreError, RunError, ValueError) as error:
            return Refused(self._masked(f"run {run_id} was not resumed: {error}"), run_id)
        return self._outcome(result)

    def _masked(self, text: str) -> str:
        return text if self.secrets is None else self.secrets.mask(text)

    def _outcome(self, result: RunResult[object]) -> Outcome:
        from plait.engine import RunWaitingError
        from plait.nodes import to_jsonable

        error = result.error
        if isinstance(error, RunWaitingError):
            asked = error.questions
            questions = tuple(_question(ask.node, ask.question, ask.schema) for ask in asked)
            shapes = {item.node: answer_shape(item.schema) for item in questions}
            _log(f"run {result.run_id} waits for input")
            return Waiting(result.run_id, questions, self.hint.command(result.run_id, shapes))
        if error is not None:  # the run's secrets (a served graph's MCP headers...) masked
            message = self._masked(f"run {result.run_id} failed: {error}")
            _log(message)
            return Refused(message, result.run_id)
        output = json.loads(self._masked(json.dumps(to_jsonable(result.output))))
        text = output if isinstance(output, str) else json.dumps(output, ensure_ascii=False)
        structured: dict[str, object] = {"result": output}
        if isinstance(output, dict) and not self.wrap_output:
            structured = {str(key): value for key, value in output.items()}
        _log(f"run {result.run_id} succeeded")
        return Finished(result.run_id, structured, text)


def tool_of(
    graph: Graph[object],
    store: Store,
    hint: ResumeHint,
    secrets: Secrets | None,
    mcp: MCPHub | None = None,
) -> GraphTool:
    """``graph`` as a tool.

    Raises:
        CliError: code 2 when an input's type has no JSON Schema (a tool takes JSON).
    """
    from plait.nodes import ArgumentField, Arguments

    fields = [ArgumentField(name, annotation) for name, annotation in graph.inputs.items()]
    try:
        arguments = Arguments("inputs", fields)
    except Exception as error:  # pydantic cannot describe an input's type
        raise CliError(
            f"graph `{graph.name}` cannot be served: its inputs have no JSON Schema ({error}); "
            "give each input a JSON type (str, int, a pydantic model, ...)"
        ) from None
    output_schema, wrap = _output_schema(graph.output_type)
    return GraphTool(graph, store, hint, secrets, arguments, output_schema, wrap, mcp)


def _output_schema(annotation: object) -> tuple[dict[str, object] | None, bool]:
    from plait.nodes import json_schema

    try:
        schema = json_schema(annotation)
    except Exception:  # no schema: the result is structured but undescribed
        return None, True
    if _resolve(schema, schema).get("type") == "object":
        return schema, False
    defs = schema.pop("$defs", None)
    wrapped: dict[str, object] = {
        "type": "object",
        "properties": {"result": schema},
        "required": ["result"],
    }
    if defs is not None:
        wrapped["$defs"] = defs
    return wrapped, True


def _resolve(schema: Mapping[str, object], root: Mapping[str, object]) -> Mapping[str, object]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        defs = root.get("$defs")
        found = defs.get(ref.removeprefix("#/$defs/")) if isinstance(defs, Mapping) else None
        return found if isinstance(found, Mapping) else {}
    return schema


def _question(node: str, question: str, schema: Mapping[str, object]) -> Question:
    resolved = _resolve(schema, schema)
    properties = resolved.get("properties")
    if resolved.get("type") == "object" and isinstance(properties, Mapping):
        if all(_is_primitive(field) for field in properties.values()):
            fields = {key: value for key, value in resolved.items() if key != "title"}
            return Question(node, question, schema, fields, wrapped=False)
        return Question(node, question, schema, None, wrapped=False)
    if _is_primitive(resolved):
        field = {key: value for key, value in resolved.items() if key != "$defs"}
        form: dict[str, object] = {
            "type": "object",
            "properties": {ANSWER_FIELD: field},
            "required": [ANSWER_FIELD],
        }
        return Question(node, question, schema, form, wrapped=True)
    return Question(node, question, schema, None, wrapped=True)


def _is_primitive(field: object) -> bool:
    """A field an elicitation form can hold: a string, number, integer, boolean or enum."""
    return isinstance(field, Mapping) and field.get("type") in _PRIMITIVES


def _log(message: str) -> None:
    print(f"plait: {message}", file=sys.stderr, flush=True)
