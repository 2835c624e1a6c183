"""Writing an agent node as a spec: the registered agent it was made from, and what the
spec changes about it (model, instructions, prompt, options, the MCP servers it adds)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from plait.graphs.spec._errors import Path
from plait.nodes import MCPTools, Node, RetryPolicy

if TYPE_CHECKING:
    from plait.graphs.spec._dump import _Dump

__all__ = ["POLICY_NUMBERS", "agent_base", "dump_agent", "same", "write_cache"]

POLICY_NUMBERS = ("initial_delay", "multiplier", "max_delay", "jitter")
_AGENT_FIXED = ("inputs", "output", "tools", "prompt_messages", "thread_input")
"""What a spec cannot change about a registered agent (compared by equality)."""
_AGENT_SAME = ("memory", "models")
"""... and what must be the very same object."""
_AGENT_DATA: tuple[str, ...] = (
    *("model", "instructions", "prompt", "max_iterations", "max_tokens", "reasoning"),
    *("parallel_tool_calls", "stream", "timeout", "pool", "description"),
)
"""What a spec's agent node may set."""
_AGENT_SHOWN = frozenset({"model", "instructions", "prompt"})


def same(first: object, second: object) -> bool:
    """Equal and of one type: ``10`` and ``10.0`` hash differently, so they differ here."""
    if isinstance(first, RetryPolicy) and isinstance(second, RetryPolicy):
        return first == second and all(
            type(getattr(first, name)) is type(getattr(second, name)) for name in POLICY_NUMBERS
        )
    return type(first) is type(second) and first == second


def agent_base(dump: _Dump, node: Node[object]) -> tuple[str, Node[object]] | None:
    """The registered agent ``node`` was made from: all it cannot change is the same
    (the one of the same id first)."""
    found: list[tuple[str, Node[object]]] = []
    for label, base in dump.registry.agents.items():
        if all(getattr(node, name) == getattr(base, name) for name in _AGENT_FIXED) and all(
            getattr(node, name) is getattr(base, name) for name in _AGENT_SAME
        ):
            found.append((label, base))
    found.sort(key=lambda item: item[1].id != node.id)
    return found[0] if found else None


def dump_agent(dump: _Dump, node: Node[object], path: Path) -> dict[str, object]:
    """An agent node's spec fields (problems go to ``dump``)."""
    match = agent_base(dump, node)
    if match is None:
        dump.add(
            "unregistered-agent",
            (*path, "agent"),
            f"agent `{node.id}` is not registered (nor one with the same tools, output, "
            "memory and model catalog)",
            f"register it: `registry.agent({node.id})`",
        )
        return {"agent": node.id}
    label, base = match
    written: dict[str, object] = {"agent": label}
    model = getattr(node, "model", None)
    if not isinstance(model, str) and model is not getattr(base, "model", None):
        dump.add(
            "unrepresentable",
            (*path, "model"),
            f"agent `{node.id}` uses a model client object, which a spec cannot name",
            "give the agent a model string, or register the agent with that client",
        )
    for name in _AGENT_DATA:
        value = getattr(node, name)
        # What the agent is asked and of whom is written out for the reader, always.
        shown = name in _AGENT_SHOWN and value not in (None, "")
        if name == "model" and not isinstance(value, str):
            continue  # the registered agent's client object: the agent's name says it
        if shown or not same(value, getattr(base, name)):
            written[name] = value
    added = _added_mcp(dump, node, base, (*path, "mcp"))
    if added:
        written["mcp"] = added
    if not same(node.retry, base.retry):
        retry = node.retry
        written["retry"] = None if retry is None else dump.policy(retry, (*path, "retry"))
    write_cache(written, node, base)
    return written


def _added_mcp(dump: _Dump, node: Node[object], base: Node[object], path: Path) -> list[str]:
    """The MCP tool sources ``node`` adds to its registered agent's, as a spec names them
    (``SERVER`` or ``SERVER.TOOL``): a spec can add servers, never a command line."""
    mine, theirs = tuple(getattr(node, "mcp", ())), tuple(getattr(base, "mcp", ()))
    added = [ref for ref in mine if ref not in theirs]
    if mine != (*theirs, *added):
        dump.add(
            "unrepresentable",
            path,
            f"agent `{node.id}` drops or reorders the MCP references of the registered agent "
            "it was made from; a spec can only add MCP servers",
            "register the agent with these references",
        )
        return []
    for index, ref in enumerate(added):
        if not isinstance(ref, MCPTools):
            dump.add(
                "unrepresentable",
                (*path, index),
                f"agent `{node.id}`: `{ref}` is an MCP {type(ref).__name__[3:].lower()}, which "
                "a spec cannot name (only servers and their tools)",
                "register the agent with it",
            )
        elif ref.declared is not None:
            dump.add(
                "unrepresentable",
                (*path, index),
                f"agent `{node.id}`: MCP server `{ref.server}` is declared in Python "
                f"(`{ref.declared.describe()}`); a spec names servers, never command lines",
                f'declare it in plait.yaml under `mcp: servers:` and name it: mcp("{ref}")',
            )
    return [str(ref) for ref in added]


def write_cache(written: dict[str, object], node: Node[object], base: Node[object]) -> None:
    """A node's cache policy where it or its registered node has one (null: dropped)."""
    if node.cache is None and base.cache is None:
        return
    policy = node.cache
    if policy is None:
        written["cache"] = None
        return
    cache: dict[str, object] = {"key": policy.key}
    if policy.ttl is not None:
        cache["ttl"] = policy.ttl
    if policy.version:
        cache["version"] = policy.version
    written["cache"] = cache
