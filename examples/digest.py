"""A research digest: plan queries, search two sources in parallel, rank, write.

Runs offline on a small built-in corpus. The paper index fails its first attempt on
purpose, to show a retry; both searches run at the same time.

    plait run examples.digest:graph --input '{"topic": "graph engines"}'
    plait run examples/digest.json --import examples.digest --input '{"topic": "graph engines"}'
"""

from __future__ import annotations

import anyio
from pydantic import BaseModel

from plait import Graph, GraphBuilder, Registry, RetryPolicy, RunContext, node


class Finding(BaseModel):
    """One search hit."""

    source: str
    title: str
    score: float


class Queries(BaseModel):
    """What to search for."""

    topic: str
    terms: list[str]


class Digest(BaseModel):
    """The result: a title and ranked bullet points."""

    title: str
    bullets: list[str]


class IndexBusy(Exception):
    """The paper index asks us to come back shortly."""

    retry_after = 0.05


_CORPUS = {
    "web": [
        ("Why superstep barriers slow agent graphs", 0.72),
        ("Typed edges catch wiring bugs before production", 0.81),
        ("Checkpoint every node, not every step", 0.64),
    ],
    "papers": [
        ("Dataflow scheduling for LLM workflows", 0.88),
        ("Bounded loops make agent costs provable", 0.77),
        ("Deterministic traces for regression testing", 0.69),
    ],
}


@node
def plan(topic: str) -> Queries:
    """Split the topic into search terms."""
    return Queries(topic=topic, terms=[word for word in topic.lower().split() if len(word) > 2])


@node
async def search_web(queries: Queries) -> list[Finding]:
    """Search the web (offline: the built-in corpus)."""
    await anyio.sleep(0.05)
    return [Finding(source="web", title=title, score=score) for title, score in _CORPUS["web"]]


@node(retry=RetryPolicy(max_attempts=3, initial_delay=0.02, jitter=0))
async def search_papers(queries: Queries, context: RunContext) -> list[Finding]:
    """Search the paper index, which is busy on the first try."""
    await anyio.sleep(0.05)
    if context.attempt == 1:
        raise IndexBusy("paper index busy")
    hits = _CORPUS["papers"]
    return [Finding(source="papers", title=title, score=score) for title, score in hits]


@node
def rank(web: list[Finding], papers: list[Finding], top: int = 4) -> list[Finding]:
    """Keep the best findings from both sources."""
    return sorted(web + papers, key=lambda finding: -finding.score)[:top]


@node
def write(queries: Queries, findings: list[Finding]) -> Digest:
    """Write the digest."""
    bullets = [f"{hit.title} ({hit.source}, {hit.score:.2f})" for hit in findings]
    return Digest(title=f"Digest: {queries.topic}", bullets=bullets)


def wire() -> Graph[Digest]:
    """Wire the digest graph: plan, two parallel searches, rank, write."""
    builder = GraphBuilder("digest", inputs={"topic": str})
    queries = builder.add(plan, inputs={"topic": "inputs.topic"})
    web = builder.add(search_web, inputs={"queries": queries})
    papers = builder.add(search_papers, inputs={"queries": queries})
    best = builder.add(rank, inputs={"web": web, "papers": papers})
    return builder.build(builder.add(write, inputs={"queries": queries, "findings": best}))


graph = wire()

registry = Registry(
    functions=[plan, search_web, search_papers, rank, write], types=[Finding, Queries, Digest]
)
"""The names ``examples/digest.json`` uses: ``plait run examples/digest.json --import
examples.digest`` finds this registry by its conventional attribute name."""
