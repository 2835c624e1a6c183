"""Graphs drawn by the diagram tests: field edges, every node kind, a failing run, a big one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import anyio
from pydantic import BaseModel

from plait import Graph, GraphBuilder, RetryPolicy, node
from plait.nodes import Input, Node, to_node

__all__ = [
    "KindNode",
    "every_kind_graph",
    "failing_graph",
    "field_graph",
    "kind_node",
    "large_graph",
]


# -- field edges and a pydantic output --------------------------------------------------


class Meta(BaseModel):
    """What is known about a page."""

    lang: str
    words: int


class Page(BaseModel):
    """A fetched page."""

    title: str
    body: str
    meta: Meta


class Summary(BaseModel):
    """The result."""

    title: str
    text: str


@node
def fetch(url: str) -> Page:
    """Fetch the page."""
    return Page(title=url, body="", meta=Meta(lang="en", words=0))


@node
def summarise(text: str, words: int) -> str:
    """Shorten the text to about ``words`` words."""
    return " ".join(text.split()[:words])


@node(retry=RetryPolicy(max_attempts=3), timeout=20)
def translate(text: str, lang: str) -> str:
    """Translate the summary."""
    return text


@node
def report(title: str, text: str) -> Summary:
    """Put the summary together."""
    return Summary(title=title, text=text)


def field_graph(output: str = "report") -> Graph[object]:
    """Edges that select fields (``fetch.body``, ``fetch.meta.words``) into renamed inputs."""
    builder = GraphBuilder("summary", inputs={"url": str, "lang": str})
    page = builder.add(fetch, inputs={"url": "inputs.url"})
    short = builder.add(
        summarise, inputs={"text": page.field("body"), "words": page.field("meta.words")}
    )
    local = builder.add(translate, inputs={"text": short, "lang": "inputs.lang"})
    builder.add(report, inputs={"title": page.field("title"), "text": local})
    return builder.build(output)


# -- every node kind that exists ----------------------------------------------------------

Verdict = Literal["bug", "question"]


@node
def clarify(message: str) -> str:
    """Tidy the message."""
    return message.strip()


@node
def triage(message: str) -> Verdict:
    """Decide what the message is about."""
    return "bug" if "crash" in message else "question"


@node
def fix(message: str) -> str:
    """Propose a fix."""
    return "patched"


@node
def lookup(message: str) -> str:
    """Find the answer in the docs."""
    return "see the docs"


@node
def search(topic: str) -> list[str]:
    """Find notes on the topic."""
    return [topic]


@node
def collate(hits: list[str]) -> list[str]:
    """Order the notes."""
    return sorted(hits)


@node
def shorten(note: str) -> str:
    """Shorten one note."""
    return note[:80]


@node
def polish(text: str) -> str:
    """Improve the reply once."""
    return text


@node
def finish(result: object) -> str:
    """Say what the loop produced."""
    return str(result)


def _research() -> Graph[list[str]]:
    builder = GraphBuilder("research", inputs={"topic": str})
    hits = builder.add(search, inputs={"topic": "inputs.topic"})
    return builder.build(builder.add(collate, inputs={"hits": hits}))


def _polishing() -> Graph[str]:
    builder = GraphBuilder("polishing", inputs={"text": str})
    return builder.build(builder.add(polish, inputs={"text": "inputs.text"}))


def every_kind_graph() -> Graph[object]:
    """A support desk with a router, two joins, a subgraph, a map and a loop."""
    builder = GraphBuilder("support", inputs={"message": str})
    message = builder.add(clarify, inputs={"message": "inputs.message"})
    verdict = builder.add(triage, inputs={"message": message})
    patch = builder.add(fix, inputs={"message": message})
    answer = builder.add(lookup, inputs={"message": message})
    builder.route(verdict, {"bug": patch, "question": answer})
    reply = builder.join("reply", inputs={"fix": patch, "answer": answer}, policy="first")
    notes = builder.add(_research(), id="research", inputs={"topic": reply})
    short = builder.map(
        shorten, over="note", id="shorten_all", inputs={"note": notes}, max_items=20, concurrency=4
    )
    polished = builder.loop(
        _polishing(), carry="text", max_iterations=3, id="refine", inputs={"text": reply}
    )
    done = builder.add(finish, inputs={"result": polished})
    gathered = builder.join("gather", inputs={"notes": short, "reply": done}, policy="all")
    return builder.build(gathered)


@dataclass(frozen=True, slots=True, kw_only=True)
class KindNode(Node[object]):
    """A node of a kind drawn by style alone so far (agent, tool, human), by name."""

    kind_name: str

    @property
    def kind(self) -> str:
        return self.kind_name


# -- a run where one node fails -----------------------------------------------------------


class SchemaDrift(Exception):
    """The records do not match the schema."""


@node
async def load(path: str) -> str:
    """Read the file."""
    return "a,b"


@node
async def classify(rows: str) -> Literal["csv", "json"]:
    """Tell the format."""
    return "csv"


@node
async def parse_csv(rows: str) -> list[str]:
    """Parse CSV."""
    return rows.split(",")


@node
async def parse_json(rows: str) -> list[str]:
    """Parse JSON."""
    return [rows]


@node(retry=RetryPolicy(max_attempts=2, initial_delay=0, jitter=0))
async def validate(records: list[str]) -> list[str]:
    """Check the records; fails on both attempts."""
    raise SchemaDrift("column `b` changed type")


@node
async def audit(rows: str) -> str:
    """Log the load; still running when ``validate`` fails, so it is cancelled."""
    await anyio.sleep(60)
    return "audited"


@node
async def publish(records: list[str], audit: str) -> str:
    """Never runs: ``validate`` fails first."""
    return "published"


def failing_graph() -> Graph[str]:
    """Statuses of every sort in one run: succeeded, skipped, failed, cancelled, pending."""
    builder = GraphBuilder("ingest", inputs={"path": str})
    rows = builder.add(load, inputs={"path": "inputs.path"})
    kind = builder.add(classify, inputs={"rows": rows})
    csv = builder.add(parse_csv, inputs={"rows": rows})
    json = builder.add(parse_json, inputs={"rows": rows})
    builder.route(kind, {"csv": csv, "json": json})
    parsed = builder.join("parsed", inputs={"csv": csv, "json": json}, policy="first")
    records = builder.add(validate, inputs={"records": parsed})
    logged = builder.add(audit, inputs={"rows": rows})
    return builder.build(builder.add(publish, inputs={"records": records, "audit": logged}))


# -- a large graph ------------------------------------------------------------------------


def step(value: int) -> int:
    """One link of a chain."""
    return value + 1


def large_graph(size: int = 1000, chains: int = 10) -> Graph[object]:
    """``size`` nodes: a root, ``chains`` parallel chains, and a join of their ends."""
    builder = GraphBuilder("large", inputs={"seed": int})
    root = builder.add(to_node(step, id="root"), inputs={"value": "inputs.seed"})
    links = size - 2
    ends: dict[str, str] = {}
    for chain in range(chains):
        previous = root.id
        length = links // chains + (1 if chain < links % chains else 0)
        for index in range(length):
            previous = builder.add(
                to_node(step, id=f"c{chain}_{index}"), inputs={"value": previous}
            ).id
        ends[f"chain{chain}"] = previous
    return builder.build(builder.join("gather", inputs=ends))


def kind_node(kind: str, id: str) -> KindNode:
    """A one-input node of ``kind``."""
    return KindNode(id=id, inputs=(Input("text", str),), output=str, kind_name=kind)
