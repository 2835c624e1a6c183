"""plait's error tree, split by whose fault an error is.

    PlaitError
    ├── DefinitionError          the graph or a node is wired wrongly (raised before a run)
    │   └── GraphDefinitionError     every problem found by one compile, listed at once
    ├── InputError               a run was given inputs that do not fit the graph
    └── RunError                 a run could not finish (carries the run id)
        ├── NodeFailedError          a node gave up; the node's last error is ``__cause__``
        ├── RunTimeoutError          the run's deadline passed (also a ``TimeoutError``)
        └── RunCancelledError        the run was cancelled before it finished

    RenderError                  a diagram could not be drawn (plait.visual)
    └── GraphvizNotFoundError    the Graphviz `dot` program is not installed

    NodeTimeoutError (PlaitError, TimeoutError)
                                 one attempt of a node overran its timeout; the retry
                                 policy decides whether it is retried

Definition errors never happen mid-run; a run error always names the run and, where there
is one, the node.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "DefinitionError",
    "GraphDefinitionError",
    "InputError",
    "NodeFailedError",
    "NodeTimeoutError",
    "PlaitError",
    "Problem",
    "RunCancelledError",
    "RunError",
    "RunTimeoutError",
]


class PlaitError(Exception):
    """Root of every error plait raises on purpose."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a definition: what, where, and how to fix it."""

    code: str
    """A stable kebab-case identifier such as ``type-mismatch`` or ``cycle``."""
    location: str
    """Where the problem is: a node id, an edge ``a -> b.x``, or a spec path."""
    message: str
    hint: str = ""

    def __str__(self) -> str:
        text = f"[{self.code}] {self.location}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text


class DefinitionError(PlaitError):
    """A node or graph is defined wrongly; nothing has run."""

    def __init__(self, problems: Sequence[Problem], *, subject: str = "definition") -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.subject = subject
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        lines = [f"{subject} has {count} {noun}:"]
        lines.extend(f"  - {problem}" for problem in self.problems)
        super().__init__("\n".join(lines))

    @property
    def codes(self) -> list[str]:
        """The problem codes, in report order."""
        return [problem.code for problem in self.problems]


class GraphDefinitionError(DefinitionError):
    """Compiling a graph found problems; all of them are in ``problems``."""


class InputError(PlaitError):
    """The inputs handed to a run do not fit the graph's declared inputs."""

    def __init__(self, graph: str, problems: Sequence[str]) -> None:
        self.graph = graph
        self.problems = tuple(problems)
        body = "; ".join(self.problems)
        super().__init__(f"inputs for graph `{graph}` are invalid: {body}")


class RunError(PlaitError):
    """A run could not finish."""

    def __init__(self, message: str, *, run_id: str) -> None:
        self.run_id = run_id
        super().__init__(message)


class NodeFailedError(RunError):
    """A node failed for good; its last exception is ``__cause__``."""

    def __init__(self, *, run_id: str, node: str, attempts: int, error: BaseException) -> None:
        self.node = node
        self.attempts = attempts
        self.error = error
        times = "attempt" if attempts == 1 else "attempts"
        detail = str(error) or "(no message)"
        super().__init__(
            f"run {run_id}: node `{node}` failed after {attempts} {times}: "
            f"{type(error).__name__}: {detail}",
            run_id=run_id,
        )


class RunTimeoutError(RunError, TimeoutError):
    """The run's deadline passed; ``in_flight`` names the nodes that were cut off."""

    def __init__(self, *, run_id: str, timeout: float, in_flight: Sequence[str]) -> None:
        self.timeout = timeout
        self.in_flight = tuple(in_flight)
        running = ", ".join(f"`{name}`" for name in self.in_flight) or "none"
        super().__init__(
            f"run {run_id} timed out after {timeout:g} s (nodes still running: {running})",
            run_id=run_id,
        )


class RunCancelledError(RunError):
    """The run was cancelled before it finished."""

    def __init__(self, *, run_id: str, in_flight: Sequence[str]) -> None:
        self.in_flight = tuple(in_flight)
        running = ", ".join(f"`{name}`" for name in self.in_flight) or "none"
        super().__init__(f"run {run_id} was cancelled (nodes cancelled: {running})", run_id=run_id)


class NodeTimeoutError(PlaitError, TimeoutError):
    """One attempt of a node overran its timeout."""

    def __init__(self, node: str, timeout: float) -> None:
        self.node = node
        self.timeout = timeout
        super().__init__(f"node `{node}` timed out after {timeout:g} s")
