"""plait's error tree, split by whose fault an error is.

    PlaitError
    ├── DefinitionError          the graph or a node is wired wrongly (raised before a run)
    │   ├── GraphDefinitionError     every problem found by one compile, listed at once
    │   │   └── SpecError            a JSON spec is wrong (plait.graphs; JSON paths)
    │   └── NotImportableError       a node that must run elsewhere has no importable name
    ├── ConfigError              configuration files, environment or a model string are wrong
    ├── InputError               a run was given inputs that do not fit the graph
    ├── RunError                 a run could not finish (carries the run id)
    │   ├── NodeFailedError          a node gave up; the node's last error is ``__cause__``
    │   ├── NodeOutputError          a node returned a value that is not its declared type
    │   ├── RunTimeoutError          the run's deadline passed (also a ``TimeoutError``)
    │   ├── RunCancelledError        the run was cancelled before it finished
    │   ├── NondeterminismError      a replayed agent call differs from its journal entry
    │   ├── RunWaitingError          the run waits for answers (plait.engine)
    │   └── NoOutputError            the run ended without its output: the output node was skipped
    ├── StoreError               a checkpoint store failed (plait.engine)
    │   ├── CorruptRecordError       a stored record fails its checksum or decoding
    │   ├── RunLockedError           another process holds the run's lease
    │   └── LeaseLostError           this process's lease was taken over: it stops writing
    ├── ExecutorError            an executor could not run an attempt (plait.engine.executors)
    │   ├── SchedulerUnreachableError    the cluster's scheduler did not answer; nothing ran
    │   ├── WorkerLostError          the workers running an attempt kept dying
    │   ├── RemoteImportError        a worker cannot import the node's module
    │   └── RemoteNodeError          the node raised on a worker (its class by name only)
    ├── GraphChangedError        a resumed run's graph is not the graph it started with
    ├── MapTooLargeError         a map received more items than its ``max_items``
    ├── RouteError               a router returned a label it did not declare
    ├── SharedMemoryError        a shared memory key was misused (plait.nodes.memory)
    ├── JoinUnsatisfiedError     a ``k_of_n`` join could not get ``k`` values
    ├── AttemptCancelledError    a sync node stopped at its ``CancelToken``
    ├── NodeProcessError         a node run with ``isolation="process"`` raised or died there
    ├── CassetteError            a cassette file is missing or not a cassette (plait.testing)
    ├── CassetteMismatchError    a replay asked for something the cassette did not record
    ├── RenderError              a diagram could not be drawn (plait.visual)
    │   └── GraphvizNotFoundError    the Graphviz `dot` program is not installed
    ├── MCPServerError           an MCP server would not start, hung or died (plait.nodes.mcp)
    ├── VectorError              a vector index refused a vector, id, filter or batch (vectors)
    ├── AgentError               an agent could not produce its output (carries the node id)
    │   ├── OutputValidationError    the reply did not fit the output type, even after repair
    │   ├── ToolLoopLimitError       the model still called tools after ``max_iterations``
    │   └── ApprovalPendingError     tool calls wait for a person (a run waits instead)
    └── ProviderError            a model provider refused or failed a request (never a key)
        ├── TransientProviderError   worth another attempt: ``AGENT_RETRY`` retries these
        │   ├── RateLimitedError         429 and its kin; ``retry_after`` in seconds
        │   ├── OverloadedError          529/503 overloaded; ``retry_after`` when given
        │   ├── ProviderTimeoutError     no answer in time (also a ``TimeoutError``)
        │   ├── ProviderConnectionError  the connection failed or dropped
        │   ├── ProviderServerError      any other 5xx
        │   └── StreamInterruptedError   the provider reported an error mid-stream
        ├── AuthenticationError      the key is missing, wrong, or lacks permission
        └── BadRequestError          the provider rejected the request as malformed
            └── ContextTooLongError      the conversation does not fit the model's window

    NodeTimeoutError (PlaitError, TimeoutError)
                                 one attempt of a node overran its timeout; the retry
                                 policy decides whether it is retried
    NodeStillRunningError (NodeTimeoutError)
                                 a timed-out sync attempt's thread did not stop within its
                                 grace period: never retried, so attempts never overlap

Definition errors never happen mid-run; a run error always names the run and, where there
is one, the node.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "AgentError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigError",
    "ContextTooLongError",
    "DefinitionError",
    "GraphDefinitionError",
    "InputError",
    "NodeFailedError",
    "NodeOutputError",
    "NodeTimeoutError",
    "NondeterminismError",
    "OutputValidationError",
    "OverloadedError",
    "PlaitError",
    "Problem",
    "ProviderConnectionError",
    "ProviderError",
    "ProviderServerError",
    "ProviderTimeoutError",
    "RateLimitedError",
    "RunCancelledError",
    "RunError",
    "RunTimeoutError",
    "StreamInterruptedError",
    "ToolLoopLimitError",
    "TransientProviderError",
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


class NodeOutputError(RunError):
    """A node returned a value that does not fit its declared output type, or cannot be stored.

    A programming error, so it is never retried: the node fails at once, and the run's
    ``NodeFailedError`` carries this as its ``__cause__``. ``got`` describes the value.
    """

    def __init__(self, *, run_id: str, node: str, expected: str, got: str, reason: str) -> None:
        self.node = node
        self.expected = expected
        self.got = got
        self.reason = reason
        super().__init__(
            f"node `{node}` returned {got}, which does not fit its declared output type "
            f"`{expected}`: {reason} (return a `{expected}`, or change the node's return "
            "annotation)",
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


class NondeterminismError(RunError):
    """A resumed or retried agent asked for a call other than the one its journal holds.

    ``node`` is the node path, ``call`` the call's index in the node's journal (from 0),
    ``kind`` ``"llm"`` or ``"tool"``, ``differences`` what changed (journal -> now).
    """

    def __init__(
        self,
        *,
        run_id: str,
        node: str,
        call: int,
        kind: str,
        problem: str,
        differences: Sequence[str] = (),
    ) -> None:
        self.node = node
        self.call = call
        self.kind = kind
        self.problem = problem
        self.differences = tuple(differences)
        changed = "".join(f"; {line}" for line in self.differences)
        super().__init__(
            f"run {run_id}: node `{node}`, call {call} ({kind}): {problem}{changed}. The graph, "
            f"prompt or inputs changed since the call was journaled; resume with "
            f"`--fresh {node}` (fresh=[{node!r}]) to start this node over",
            run_id=run_id,
        )


class NodeTimeoutError(PlaitError, TimeoutError):
    """One attempt of a node overran its timeout."""

    def __init__(self, node: str, timeout: float) -> None:
        self.node = node
        self.timeout = timeout
        super().__init__(f"node `{node}` timed out after {timeout:g} s")


class ConfigError(PlaitError):
    """Configuration is wrong: a file, an environment variable, or a model string.

    ``problems`` lists every problem found, each naming where it is and how to fix it.
    """

    def __init__(self, problems: Sequence[str] | str) -> None:
        self.problems = (problems,) if isinstance(problems, str) else tuple(problems)
        if len(self.problems) == 1:
            super().__init__(self.problems[0])
        else:
            lines = [f"configuration has {len(self.problems)} problems:"]
            lines.extend(f"  - {problem}" for problem in self.problems)
            super().__init__("\n".join(lines))


class AgentError(PlaitError):
    """An agent node could not produce its output."""

    def __init__(self, message: str, *, node: str) -> None:
        self.node = node
        super().__init__(f"agent `{node}`: {message}")


class OutputValidationError(AgentError):
    """The model's reply did not fit the agent's output type, even after one repair round."""

    def __init__(self, *, node: str, expected: str, reason: str, reply: str) -> None:
        self.expected = expected
        self.reason = reason
        self.reply = reply
        shown = reply if len(reply) <= 200 else reply[:200] + "..."
        super().__init__(
            f"the reply does not fit `{expected}` after one repair round: {reason} "
            f"(reply: {shown!r}; simplify the output type or use a stronger model)",
            node=node,
        )


class ToolLoopLimitError(AgentError):
    """The model kept calling tools past the agent's ``max_iterations``."""

    def __init__(self, *, node: str, max_iterations: int) -> None:
        self.max_iterations = max_iterations
        super().__init__(
            f"the model still called tools after {max_iterations} rounds "
            "(raise max_iterations or give clearer instructions)",
            node=node,
        )


class ProviderError(PlaitError):
    """A model provider refused or failed a request.

    Messages carry the provider's own words, the status and the request id: never a key.
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        status: int | None = None,
        error_type: str | None = None,
        request_id: str | None = None,
    ) -> None:
        self.provider = provider
        self.status = status
        self.error_type = error_type
        self.request_id = request_id
        facts = [f"status {status}" if status is not None else "", error_type or ""]
        if request_id:
            facts.append(f"request {request_id}")
        detail = ", ".join(fact for fact in facts if fact)
        suffix = f" ({detail})" if detail else ""
        super().__init__(f"{provider}: {message}{suffix}")


class TransientProviderError(ProviderError):
    """A provider failure worth another attempt.

    ``retry_after`` is the wait in seconds the provider asked for (``RetryPolicy`` waits at
    least that long), or ``None``.
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        status: int | None = None,
        error_type: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(
            message,
            provider=provider,
            status=status,
            error_type=error_type,
            request_id=request_id,
        )
        self.retry_after = retry_after


class RateLimitedError(TransientProviderError):
    """Too many requests or tokens for the key; wait ``retry_after`` seconds."""


class OverloadedError(TransientProviderError):
    """The provider is overloaded (Anthropic's 529, or a 503 that says so)."""


class ProviderTimeoutError(TransientProviderError, TimeoutError):
    """The provider did not answer in time."""


class ProviderConnectionError(TransientProviderError):
    """The connection to the provider failed or dropped."""


class ProviderServerError(TransientProviderError):
    """The provider failed with a server error (5xx) other than overloaded."""


class StreamInterruptedError(TransientProviderError):
    """The provider reported an error after a streamed reply had started."""


class AuthenticationError(ProviderError):
    """The API key is missing, wrong, or not allowed to do this."""


class BadRequestError(ProviderError):
    """The provider rejected the request itself (a bad parameter, unknown model, ...)."""


class ContextTooLongError(BadRequestError):
    """The conversation is longer than the model's context window."""
