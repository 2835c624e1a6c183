"""The files ``plait init`` writes: a starter project that runs and tests offline."""

from __future__ import annotations

__all__ = ["GRAPH_MODULE", "GRAPH_NAME", "SAMPLE_INPUTS", "SNAPSHOT", "TEMPLATES"]

GRAPH_MODULE = "hello"
"""The starter graph's module, ``hello.py``; its graph is ``hello:graph``."""
GRAPH_NAME = "hello"
SAMPLE_INPUTS = {"name": "Ada"}
SNAPSHOT = "tests/__snapshots__/test_hello/test_the_trace_matches_its_snapshot.trace.json"
"""Where syrupy keeps the test's trace snapshot (written by ``plait init`` too)."""

_PLAIT_YAML = """\
# plait's configuration. `plait config` shows what is in effect and where each value
# came from. Keep API keys out of this file: put them in plait.secrets.yaml (git-ignored)
# or in the environment (ANTHROPIC_API_KEY, OPENAI_API_KEY).

# The model agents use when they name none, and `plait run --model` for every agent:
# default_model: sonnet

# Your own model names:
# aliases:
#   writer: anthropic.claude-sonnet-4-5

# Where runs are checkpointed (for `plait runs`, `plait resume`, `plait fork`):
store: sqlite:///.plait/runs.db

# Where `plait resume` finds a stored run's graph, by the graph's name:
graphs:
  hello: hello:graph
"""

_GITIGNORE = """\
plait.secrets.yaml
.plait/
__pycache__/
"""

_PYPROJECT = """\
[tool.pytest.ini_options]
testpaths = ["tests"]
# The tests import the graph module from the project's root.
pythonpath = ["."]
filterwarnings = ["error"]
"""

_GRAPH = '''\
"""A starter plait graph: a typed function writes a prompt, an agent answers it, and
another function shapes the answer.

    plait run hello:graph --input '{"name": "Ada"}'
    plait run hello:graph --input '{"name": "Ada"}' --model sonnet   # needs ANTHROPIC_API_KEY
"""

from __future__ import annotations

from pydantic import BaseModel

from plait import GraphBuilder, node
from plait.nodes import agent


class Greeting(BaseModel):
    """The graph's output."""

    name: str
    text: str


@node
def ask(name: str) -> str:
    """Turn the input into the agent's prompt."""
    return f"Write a one-line greeting for {name}."


greeter = agent(
    "greeter",
    # `passthrough` echoes its prompt back, so the graph runs offline with no API key.
    # Name a real model here, or pass `plait run --model MODEL`.
    model="passthrough",
    inputs={"prompt": str},
    instructions="You write short, warm greetings.",
    prompt="{prompt}",
)


@node
def shape(name: str, reply: str) -> Greeting:
    """Package the agent's reply."""
    return Greeting(name=name, text=reply.strip())


builder = GraphBuilder("hello", inputs={"name": str})
asked = builder.add(ask, inputs={"name": "inputs.name"})
replied = builder.add(greeter, inputs={"prompt": asked})
graph = builder.build(builder.add(shape, inputs={"name": "inputs.name", "reply": replied}))
'''

_TEST = '''\
"""Tests of the hello graph: its output, and its whole run as a trace snapshot.

The snapshot is tests/__snapshots__/test_hello/*.trace.json. When you change the graph
on purpose, review the diff pytest shows, then run `pytest --snapshot-update`.
"""

from __future__ import annotations

from hello import Greeting, graph
from plait.pytest_plugin import TraceRunner


def test_the_graph_greets_by_name() -> None:
    result = graph.run_sync({"name": "Ada"})

    assert result.output == Greeting(name="Ada", text="Write a one-line greeting for Ada.")


def test_the_trace_matches_its_snapshot(plait_trace: TraceRunner, trace_snapshot: object) -> None:
    assert plait_trace.run_sync(graph, {"name": "Ada"}) == trace_snapshot
'''

TEMPLATES: dict[str, str] = {
    "plait.yaml": _PLAIT_YAML,
    ".gitignore": _GITIGNORE,
    "pyproject.toml": _PYPROJECT,
    f"{GRAPH_MODULE}.py": _GRAPH,
    f"tests/test_{GRAPH_MODULE}.py": _TEST,
}
"""Each file's path in the project, and its text (the snapshot is made by running)."""
