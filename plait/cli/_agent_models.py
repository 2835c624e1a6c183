"""Which model each agent of a graph the CLI runs uses: ``plait.yaml``'s, or ``--model``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from plait.cli._usage import RUN_FAILED, CliError

if TYPE_CHECKING:
    from plait.graphs import Graph
    from plait.nodes import Node, PlaitConfig

__all__ = ["configure_agents"]


def configure_agents(config: PlaitConfig, graph: Graph[object], model: str | None) -> Graph[object]:
    """``graph`` with its agents (at any depth) set up for a run from the command line.

    With ``model``, every agent runs on it with ``config``'s catalog, including an agent
    that names its own model, client or catalog (its playback files too). Without, an agent
    lacking a catalog gets ``config``'s, and one with its own keeps it. Either way each
    catalog also reads the providers' standard variables (``ANTHROPIC_API_KEY``, ...).

    Raises:
        CliError: code 2, before anything runs, for an unknown model (``--model`` or an
            agent's), listing close matches; for ``--model`` and a graph without agents.
    """
    from plait.graphs import with_nodes
    from plait.nodes import AgentNode, ConfigError, ModelCatalog

    catalog = ModelCatalog(config)
    if model is not None:
        try:
            catalog.parse(model)
        except ConfigError as error:
            raise CliError(f"--model {model}: {error}") from None
    found: list[str] = []
    problems: list[str] = []

    def change(node: Node[object]) -> Node[object]:
        if not isinstance(node, AgentNode):
            return node
        found.append(node.id)
        if model is not None:
            return node.with_model(model, models=catalog)
        changed: AgentNode[object] = (
            node if node.models is not None else node.with_model(models=catalog)
        )
        if isinstance(changed.model, str) and changed.models is not None:
            try:
                changed.models.parse(changed.model)
            except ConfigError as error:
                problems.append(f"agent `{node.id}`: {error} (or run it on another: --model)")
        return changed

    try:
        configured = with_nodes(graph, change)
    except ConfigError as error:
        raise CliError(str(error), RUN_FAILED) from None
    if problems:
        raise CliError("; ".join(problems))
    if model is not None and not found:
        raise CliError(f"--model {model}: graph `{graph.name}` has no agent nodes")
    return configured if found else graph
