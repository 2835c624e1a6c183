"""The JSON spec format, version 1, as pydantic models: the one definition of the format.

The loader validates documents with these models and ``plait schema`` prints the JSON
Schema generated from them, so the two cannot drift. pydantic is imported here, and this
module only when a spec is read or the schema asked for: ``import plait`` stays light.

A new node kind is one more model here (a subclass of ``_NodeSpec`` with its own
``kind`` literal, added to ``NodeSpec``), one build function in ``_spec_build`` and one
dump function in ``_spec_dump``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from plait.nodes import RetryPolicy

__all__ = [
    "PATTERN_ROLES",
    "PATTERN_SPECS",
    "AgentSpec",
    "CacheSpec",
    "ChainSpec",
    "DocumentSpec",
    "EvaluatorOptimizerSpec",
    "FunctionSpec",
    "GraphPart",
    "GraphSpec",
    "HumanSpec",
    "JoinSpec",
    "LoopSpec",
    "MapSpec",
    "NodeSpec",
    "OrchestratorSpec",
    "ParallelSpec",
    "PatternSpec",
    "RetrySpec",
    "RouterSpec",
    "SubgraphSpec",
    "json_schema",
]

ID_PATTERN = r"^[A-Za-z_][A-Za-z0-9_\-]*$"
NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
SOURCE_PATTERN = r"^[A-Za-z_][A-Za-z0-9_\-]*(\.[A-Za-z_][A-Za-z0-9_]*)*$"
PATTERN_MEANINGS = {
    ID_PATTERN: "a node id is letters, digits, `_` and `-`, not starting with a digit",
    NAME_PATTERN: "a name is letters, digits and `_`, not starting with a digit",
    SOURCE_PATTERN: "a source is `node`, `node.field` (fields may nest) or `inputs.name`",
}

NodeId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
InputName = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
Source = Annotated[str, StringConstraints(pattern=SOURCE_PATTERN)]
Number = int | float
"""An int stays an int: ``10`` and ``10.0`` hash differently, so a round trip keeps each."""
Positive = Annotated[Number, Field(gt=0)]

_DEFAULT_RETRY = RetryPolicy()


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        frozen=True,
        allow_inf_nan=False,
        hide_input_in_errors=True,
    )


class RetrySpec(_Model):
    """A retry policy; fields left out take ``RetryPolicy``'s defaults."""

    max_attempts: int = Field(_DEFAULT_RETRY.max_attempts, ge=1, description="attempts in all")
    initial_delay: Number = Field(
        _DEFAULT_RETRY.initial_delay, ge=0, description="seconds before the second attempt"
    )
    multiplier: Number = Field(_DEFAULT_RETRY.multiplier, ge=1, description="backoff factor")
    max_delay: Number = Field(_DEFAULT_RETRY.max_delay, ge=0, description="cap on one wait")
    jitter: Number = Field(
        _DEFAULT_RETRY.jitter, ge=0, le=1, description="fraction of a wait taken off at random"
    )
    retry_on: list[str] = Field(
        [error.__name__ for error in _DEFAULT_RETRY.retry_on],
        description="registered exception names that are retried",
    )
    give_up_on: list[str] = Field(
        [error.__name__ for error in _DEFAULT_RETRY.give_up_on],
        description="registered exception names that are final even when retry_on matches",
    )


class CacheSpec(_Model):
    """A result cache policy (``CachePolicy``): reuse the node's output across runs."""

    ttl: Positive | None = Field(None, description="seconds an entry stays usable (null: ever)")
    key: Literal["graph", "node"] = Field(
        "graph",
        description="`graph`: any change to the graph is a miss; `node`: only this node's",
    )
    version: str = Field("", description="bump it when the function's body changes")


Targets = list[NodeId] | NodeId


class _NodeSpec(_Model):
    """What every node kind has: an id, its wired inputs, and routes if it is a router."""

    id: NodeId = Field(description="unique within its graph")
    inputs: dict[InputName, Source] = Field(
        default_factory=dict,
        description="input name -> source: `node`, `node.field` or `inputs.name`",
    )
    routes: dict[str, Targets] | None = Field(
        None,
        description=(
            "for a router (its output is a Literal/Enum/bool): label -> node id(s) it leads "
            "to; labels are written as strings, Enum members by name, true/false/null"
        ),
    )


class _Attempted(_NodeSpec):
    retry: RetrySpec | None = Field(None, description="retry policy (default: the graph's)")
    timeout: Positive | None = Field(None, description="seconds one attempt may take")


class FunctionSpec(_Attempted):
    """A registered function as a node. Options left out keep the registered node's."""

    kind: Literal["function"]
    function: str = Field(description="the registered function's name")
    pool: str | None = Field(None, description="the graph pool a slot is drawn from")
    blocking: bool | None = Field(None, description="false: a sync function runs on the loop")
    description: str | None = Field(None, description="shown in diagrams")
    cache: CacheSpec | None = Field(None, description="reuse its output across runs")
    executor: Annotated[str, StringConstraints(pattern=ID_PATTERN)] | None = Field(
        None, description="the run's executor its attempts run on, e.g. `dask`"
    )
    isolation: Literal["thread", "process"] | None = Field(
        None, description="where a sync function runs: `process` can be killed on timeout"
    )
    grace: Annotated[Number, Field(ge=0)] | None = Field(
        None, description="seconds a timed-out thread is awaited before the node fails"
    )


class SubgraphSpec(_Attempted):
    """A graph of this document's ``graphs`` used as one node."""

    kind: Literal["subgraph"]
    graph: str = Field(description="a key of the document's `graphs`")
    pool: str | None = Field(None, description="the graph pool a slot is drawn from")


class MapSpec(_Attempted):
    """Runs ``body`` once per item of the list fed to input ``over``."""

    kind: Literal["map"]
    body: str = Field(description="a key of the document's `graphs`")
    over: InputName = Field(description="the body input that receives each item")
    concurrency: int | None = Field(None, ge=1, description="items at once (default: no cap)")
    max_items: int | None = Field(None, ge=1, description="more items fail the node")
    collect_failures: bool = Field(False, description="a failed item becomes a BranchFailure")


class LoopSpec(_Attempted):
    """Runs ``body`` again and again, its output fed back into input ``carry``."""

    kind: Literal["loop"]
    body: str = Field(description="a key of the document's `graphs`")
    carry: InputName = Field(description="the body input its output is fed back into")
    max_iterations: int = Field(ge=1, description="every loop is bounded")
    until: str | None = Field(None, description="a registered condition on the body's output")


class JoinSpec(_NodeSpec):
    """Combines parallel branches under a policy."""

    kind: Literal["join"]
    policy: Literal["all", "first", "k_of_n", "collect"] = "all"
    k: int | None = Field(None, ge=1, description="for k_of_n: how many branches it needs")


class HumanSpec(_NodeSpec):
    """Pauses the run until a person answers; the answer is the node's output."""

    kind: Literal["human"]
    question: str = Field(description="a `{input}` template over the node's inputs")
    answer: str = Field(description="the answer's type expression, e.g. `bool` or `Decision`")
    timeout: Positive | None = Field(None, description="seconds one attempt may take")


class AgentSpec(_Attempted):
    """A registered agent as a node. Fields given replace the registered agent's; its
    tools, output type, memory and model catalog stay the registered ones."""

    kind: Literal["agent"]
    agent: str = Field(description="the registered agent's name")
    model: str | None = Field(None, description="a model string: `sonnet`, `openai:gpt-4.1`")
    instructions: str | None = Field(None, description="the system prompt, a `{input}` template")
    prompt: str | None = Field(None, description="the user message template (null: the inputs)")
    max_iterations: int | None = Field(None, ge=0, description="tool-calling rounds at most")
    max_tokens: int | None = Field(None, ge=1)
    reasoning: str | None = None
    parallel_tool_calls: bool | None = None
    stream: bool | None = None
    pool: str | None = Field(None, description="the graph pool a slot is drawn from")
    description: str | None = Field(None, description="shown in diagrams")
    cache: CacheSpec | None = Field(None, description="reuse its answer across runs")
    mcp: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]+(\.[^.\s]+)?$")]] | None = Field(
        None,
        description="more tools from MCP servers declared in configuration (plait.yaml's "
        "`mcp: servers:`): `SERVER` (all its tools) or `SERVER.TOOL`; never a command line",
    )


class GraphPart(_Model):
    """A pattern's part that is a graph of the document (another pattern: they nest)."""

    graph: str = Field(description="a key of the document's `graphs`")


Part = Annotated[str, Field(description="a registered agent's (or function's) name")] | GraphPart
Parts = Annotated[list[Part], Field(min_length=1, max_length=4_096)]
Rounds = Annotated[int, Field(ge=1, le=10_000)]
"""Pattern bounds stay within the loader's default limits on fan-out and iterations."""


class PatternSpec(_Attempted):
    """An agent pattern from ``plait.graphs.patterns``, built from registered parts."""

    name: str | None = Field(None, description="the pattern's graph name (default: its id)")
    pool: str | None = Field(None, description="the graph pool a slot is drawn from")
    description: str = Field("", description="shown in diagrams")


class ChainSpec(PatternSpec):
    """Agents or functions in sequence, each output into the next input."""

    kind: Literal["chain"]
    sequence: Parts


class ParallelSpec(PatternSpec):
    """The same inputs to every ``fan_out`` agent at once, joined or aggregated."""

    kind: Literal["parallel"]
    fan_out: Parts
    fan_in: Part | None = None
    policy: Literal["all", "first", "k_of_n", "collect"] = "all"
    k: int | None = Field(None, ge=1, le=4_096)
    include_request: bool = True


class RouterSpec(PatternSpec):
    """A model picks which of ``agents`` answers."""

    kind: Literal["router"]
    agents: Parts
    model: str = Field(description="the routing model: `sonnet`, `openai:gpt-4.1`")
    instructions: str = ""


class OrchestratorSpec(PatternSpec):
    """A planner's typed plan run by workers, then synthesised."""

    kind: Literal["orchestrator"]
    planner: Part
    workers: Parts
    synthesiser: Part
    iterative: bool = False
    plan_iterations: Rounds = 3
    max_tasks: int = Field(5, ge=1, le=4_096)
    max_plan_errors: int = Field(2, ge=0, le=10_000)


class EvaluatorOptimizerSpec(PatternSpec):
    """A generator refined by an evaluator's ratings."""

    kind: Literal["evaluator_optimizer"]
    generator: Part
    evaluator: Part
    min_rating: Literal["poor", "fair", "good", "excellent"] = "good"
    max_refinements: int = Field(3, ge=0, le=10_000)


PATTERN_SPECS = (ChainSpec, ParallelSpec, RouterSpec, OrchestratorSpec, EvaluatorOptimizerSpec)
PATTERN_ROLES: dict[str, tuple[str, ...]] = {
    "chain": ("sequence",),
    "parallel": ("fan_out", "fan_in"),
    "router": ("agents",),
    "orchestrator": ("planner", "workers", "synthesiser"),
    "evaluator_optimizer": ("generator", "evaluator"),
}
"""Each pattern kind's roles: the fields that name its parts, in the order they run."""

NodeSpec = Annotated[
    FunctionSpec
    | AgentSpec
    | SubgraphSpec
    | MapSpec
    | LoopSpec
    | JoinSpec
    | HumanSpec
    | ChainSpec
    | ParallelSpec
    | RouterSpec
    | OrchestratorSpec
    | EvaluatorOptimizerSpec,
    Field(discriminator="kind"),
]


class GraphSpec(_Model):
    """One graph: its inputs, nodes (with their incoming edges) and output."""

    name: str | None = Field(None, description="default: its key in `graphs`")
    description: str = ""
    inputs: dict[InputName, str] = Field(
        default_factory=dict,
        description="input name -> type expression: `str`, `list[Finding]`, `int | None`",
    )
    output: Source = Field(description="the node (or `node.field`) whose value is the result")
    retry: RetrySpec | None = Field(None, description="retry policy of nodes that set none")
    timeout: Positive | None = Field(None, description="per-attempt timeout of nodes that set none")
    pools: dict[str, Annotated[int, Field(ge=1)]] = Field(
        default_factory=dict, description="concurrency pool name -> size"
    )
    nodes: list[NodeSpec] = Field(min_length=1)


class _Versioned(_Model):
    plait: Literal["1"] = Field(description="the format version")


class DocumentSpec(GraphSpec, _Versioned):
    """A plait graph spec: the main graph, and the graphs its nodes use by name."""

    name: str = Field(description="the graph's name")
    graphs: dict[str, GraphSpec] = Field(
        default_factory=dict,
        description="graphs used by subgraph, map and loop nodes, by key",
    )


def _close_patterns(schema: object) -> None:
    """A key pattern must reject other keys, as the models do."""
    if isinstance(schema, dict):
        if "patternProperties" in schema and "additionalProperties" not in schema:
            schema["additionalProperties"] = False
        for value in schema.values():
            _close_patterns(value)
    elif isinstance(schema, list):
        for value in schema:
            _close_patterns(value)


def json_schema() -> dict[str, object]:
    """The JSON Schema (draft 2020-12) of format version 1."""
    schema: dict[str, object] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **DocumentSpec.model_json_schema(),
    }
    schema["title"] = "plait graph spec, format 1"
    _close_patterns(schema)
    return schema
