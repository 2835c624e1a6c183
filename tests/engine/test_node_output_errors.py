"""A node that returns the wrong type fails as that node, with a ``NodeOutputError``."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import anyio
import pytest
from pydantic import BaseModel

from plait import (
    Graph,
    GraphBuilder,
    NodeFailedError,
    NodeOutputError,
    RetryPolicy,
    RunHandle,
    RunOptions,
    RunStatus,
    node,
    run_sync,
    stream,
)
from plait.cli import main
from plait.engine import MemoryStore, NodeFailed, SQLiteStore, Store, StoredStatus
from plait.nodes import InputError

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]


class Page(BaseModel):
    url: str
    body: str


def _pages(returned: object, calls: Counter[str], **options: object) -> Graph[int]:
    """fetch (returns ``returned`` but declares ``Page``) -> size(fetch.body)."""

    async def fetch(url: str) -> Page:
        calls["fetch"] += 1
        return returned  # type: ignore[return-value]

    def size(text: str) -> int:
        calls["size"] += 1
        return len(text)

    b = GraphBuilder("pages", inputs={"url": str})
    page = b.add(fetch, inputs={"url": "inputs.url"}, **options)  # type: ignore[call-overload]
    return b.build(b.add(size, inputs={"text": page.field("body")}))


def _wrong_output(error: BaseException | None) -> NodeOutputError:
    """The NodeOutputError at the end of a run error's chain of node failures."""
    while isinstance(error, NodeFailedError):
        assert isinstance(error.__cause__, BaseException)
        error = error.__cause__
    assert isinstance(error, NodeOutputError), repr(error)
    return error


@pytest.fixture(params=["none", "memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store | None]:
    """No store, the in-memory store, and an SQLite file."""
    if request.param == "none":
        yield None
        return
    opened: Store = MemoryStore() if request.param == "memory" else SQLiteStore(tmp_path / "r.db")
    await opened.open()
    yield opened
    await opened.close()


@pytest.mark.parametrize("listen", [False, True], ids=["plain", "listened"])
async def test_none_where_a_model_is_declared_fails_that_node(
    store: Store | None, listen: bool
) -> None:
    calls: Counter[str] = Counter()
    events: list[object] = []
    graph = _pages(None, calls)
    options = RunOptions(store=store, run_id="r1")

    result = await graph.run(
        {"url": "u"}, options=options, listeners=(events.append,) if listen else ()
    )

    assert result.status is RunStatus.FAILED
    assert isinstance(result.error, NodeFailedError)
    assert result.error.node == "fetch"
    wrong = _wrong_output(result.error)
    assert (wrong.node, wrong.expected, wrong.got) == ("fetch", "Page", "`None`")
    assert wrong.run_id == "r1"
    assert "node `fetch` returned `None`" in str(result.error)
    assert "declared output type `Page`" in str(result.error)
    assert calls == Counter(fetch=1)  # `size` never ran
    if listen:
        failed = [event for event in events if isinstance(event, NodeFailed)]
        assert [event.node for event in failed] == ["fetch"]
    if store is not None:
        stored = await store.load("r1")
        assert stored is not None
        assert stored.run.status is StoredStatus.FAILED
        failures = [(item.node, item.error_type) for item in stored.failures]
        assert failures == [("fetch", "NodeOutputError")]


async def test_a_dict_that_does_not_fit_the_model_names_the_field() -> None:
    calls: Counter[str] = Counter()
    graph = _pages({"url": "u", "text": "no body"}, calls)

    result = await graph.run({"url": "u"})

    wrong = _wrong_output(result.error)
    assert wrong.got.startswith("a `dict` ({")
    assert "Field required at `body`" in wrong.reason


async def test_a_dict_that_fits_becomes_the_declared_model() -> None:
    """The value downstream is the declared type, as it would be after a resume."""
    calls: Counter[str] = Counter()
    graph = _pages({"url": "u", "body": "four"}, calls)

    result = await graph.run({"url": "u"})

    assert result.status is RunStatus.SUCCEEDED
    assert result.output == 4
    assert result.nodes["fetch"].output == Page(url="u", body="four")


async def test_a_wrong_output_is_never_retried() -> None:
    calls: Counter[str] = Counter()
    graph = _pages(None, calls, retry=RetryPolicy(max_attempts=3, initial_delay=0))

    result = await graph.run({"url": "u"})

    assert isinstance(result.error, NodeFailedError)
    assert result.error.attempts == 1
    assert calls["fetch"] == 1


async def test_sync_and_thread_nodes_are_checked_too() -> None:
    def inline(x: int) -> int:
        return "seven"  # type: ignore[return-value]

    b = GraphBuilder("threads", inputs={"x": int})
    first = b.add(node(blocking=False)(inline), id="inline", inputs={"x": "inputs.x"})
    b.add(inline, id="threaded", inputs={"x": first})
    graph = b.build("threaded")

    result = await graph.run({"x": 1})

    wrong = _wrong_output(result.error)
    assert (wrong.node, wrong.expected) == ("inline", "int")
    assert wrong.got == "a `str` ('seven')"


def _body(returned: object) -> Graph[Page]:
    async def fetch(url: str) -> Page:
        return returned  # type: ignore[return-value]

    inner = GraphBuilder("inner", inputs={"url": str})
    return inner.build(inner.add(fetch, inputs={"url": "inputs.url"}))


def _in_map() -> Graph[object]:
    b = GraphBuilder("mapped", inputs={"urls": list[str]})
    return b.build(b.map(_body(None), id="each", over="url", inputs={"url": "inputs.urls"}))


def _in_subgraph() -> Graph[object]:
    b = GraphBuilder("nested", inputs={"url": str})
    return b.build(b.add(_body(None), id="sub", inputs={"url": "inputs.url"}))


def _in_loop() -> Graph[object]:
    async def grow(text: str) -> str:
        return None if len(text) > 2 else text + "!"  # type: ignore[return-value]

    inner = GraphBuilder("grow", inputs={"text": str})
    body = inner.build(inner.add(grow, inputs={"text": "inputs.text"}))
    b = GraphBuilder("looped", inputs={"text": str})
    loop = b.loop(body, id="again", carry="text", max_iterations=5, inputs={"text": "inputs.text"})
    return b.build(loop)


@pytest.mark.parametrize(
    ("make", "inputs", "outer", "inner"),
    [
        (_in_map, {"urls": ["a", "b"]}, "each", "each[0]/fetch"),
        (_in_subgraph, {"url": "a"}, "sub", "sub/fetch"),
        (_in_loop, {"text": "a"}, "again", "again[2]/grow"),
    ],
    ids=["map", "subgraph", "loop"],
)
async def test_inside_a_body_the_inner_node_fails_as_itself(
    store: Store | None,
    make: Callable[[], Graph[object]],
    inputs: dict[str, object],
    outer: str,
    inner: str,
) -> None:
    result = await make().run(inputs, options=RunOptions(store=store))

    assert result.status is RunStatus.FAILED
    assert isinstance(result.error, NodeFailedError)
    assert result.error.node == outer
    assert result.error.attempts == 1
    wrong = _wrong_output(result.error)
    if outer == "each":  # items run concurrently: either may be the first to fail
        assert wrong.node in ("each[0]/fetch", "each[1]/fetch")
    else:
        assert wrong.node == inner
    assert wrong.got == "`None`"


async def test_an_output_that_cannot_be_checkpointed_fails_that_node(store: Store | None) -> None:
    class Opaque:
        def __repr__(self) -> str:
            return "Opaque()"

    async def make() -> object:
        return Opaque()

    b = GraphBuilder("opaque")
    graph = b.build(b.add(make))

    result = await graph.run({}, options=RunOptions(store=store))

    if store is None:  # anything fits `object`, and nothing needs to store it
        assert result.status is RunStatus.SUCCEEDED
        return
    wrong = _wrong_output(result.error)
    assert (wrong.node, wrong.expected, wrong.got) == ("make", "object", "a `Opaque` (Opaque())")
    assert "cannot be checkpointed" in wrong.reason
    stored = await store.load(result.run_id)
    assert stored is not None
    assert stored.run.status is StoredStatus.FAILED


async def test_stream_delivers_it_as_the_result_and_raises_input_errors_plainly() -> None:
    graph = _pages(None, Counter())
    async with stream(graph, {"url": "u"}) as handle:
        events = [event async for event in handle]

    assert events
    assert _wrong_output(handle.result.error).node == "fetch"
    with pytest.raises(InputError):  # not an ExceptionGroup around it
        async with stream(graph, {"url": 3}) as handle:
            pass


async def test_an_error_in_the_stream_block_leaves_as_itself() -> None:
    started = anyio.Event()

    async def slow(x: int) -> int:
        started.set()
        await anyio.sleep(10)
        return x

    b = GraphBuilder("slow", inputs={"x": int})
    graph = b.build(b.add(slow, inputs={"x": "inputs.x"}))

    async def read_then_break() -> None:
        async with stream(graph, {"x": 1}) as handle:
            handles.append(handle)
            await started.wait()
            raise LookupError("the reader broke")

    handles: list[RunHandle[int]] = []
    with pytest.raises(LookupError, match="the reader broke"):
        await read_then_break()
    assert handles[0].result.status is RunStatus.CANCELLED


def test_run_sync_returns_the_failure(anyio_backend: str) -> None:
    result = run_sync(_pages(None, Counter()), {"url": "u"}, backend=anyio_backend)

    assert _wrong_output(result.error).node == "fetch"


async def _none_page(url: str) -> Page:
    return None  # type: ignore[return-value]


def _cli_graph() -> Graph[Page]:
    b = GraphBuilder("cli_pages", inputs={"url": str})
    return b.build(b.add(_none_page, id="fetch", inputs={"url": "inputs.url"}))


CLI_GRAPH = _cli_graph()


def test_the_cli_says_it_in_one_line_and_exits_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(ROOT))
    target = "tests.engine.test_node_output_errors:CLI_GRAPH"

    code = main(["run", target, "--input", '{"url": "u"}'])

    assert code == 1
    errors = [line for line in capsys.readouterr().err.splitlines() if "error:" in line]
    assert len(errors) == 1
    assert errors[0].startswith("plait: error: run ")
    assert "node `fetch` returned `None`, which does not fit its declared output type" in errors[0]
    assert "ExceptionGroup" not in errors[0]
