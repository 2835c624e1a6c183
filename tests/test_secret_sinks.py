"""Secrets never reach any record: known fake keys are put into an error body, a tool's
output and a node input fed from config, and every sink is searched for them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from plait.cli import main
from plait.engine import (
    Event,
    NodeFinished,
    NodeReported,
    open_store,
    run,
)
from plait.nodes import (
    AnthropicModel,
    AuthenticationError,
    Message,
    ModelCatalog,
    ModelRequest,
    OpenAIModel,
    Secret,
    Secrets,
    load_config,
)
from tests.cli import cli_secrets
from tests.fakes import anthropic_api as api
from tests.fakes import openai_api as openai_wire
from tests.fakes.server import FakeServer, Reply, Seen, running_server

ROOT = Path(__file__).resolve().parents[1]
ANTHROPIC_KEY = "sk-ant-FAKE-0123456789abcdef"
OPENAI_KEY = "sk-proj-FAKE-fedcba9876543210"
SERVICE_TOKEN = "svc-FAKE-token-5555aaaa"
TEAM_HEADER = "team-FAKE-77778888"
KEYS = (ANTHROPIC_KEY, OPENAI_KEY, SERVICE_TOKEN, TEAM_HEADER)

CONFIG = """\
graphs:
  secret_sinks: tests.cli.cli_secrets:graph
anthropic:
  headers:
    x-service-token: ${MY_SERVICE_TOKEN}
"""
SECRETS = """\
anthropic:
  headers:
    x-team: team-FAKE-77778888
"""


def leaks(text: str | bytes) -> list[str]:
    """The fake keys found in ``text``."""
    data = text.encode() if isinstance(text, str) else text
    return [key for key in KEYS if key.encode() in data]


def echo_error(seen: Seen) -> Reply:
    """An error body quoting everything the request carried: its key, headers and body."""
    said = (
        f"invalid x-api-key {seen.headers.get('x-api-key')} "
        f"(authorization {seen.headers.get('authorization')}, service "
        f"{seen.headers.get('x-service-token')}, team {seen.headers.get('x-team')}); "
        f"you sent {json.dumps(seen.body)}"
    )
    return api.error(401, "authentication_error", said)


def echo_answer(seen: Seen) -> Reply:
    """A final answer repeating the request (the tool's output among it)."""
    return api.stream(api.text(f"done: {json.dumps(seen.body)}"))


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeServer]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(ROOT))
    (tmp_path / "plait.yaml").write_text(CONFIG)
    (tmp_path / "plait.secrets.yaml").write_text(SECRETS)
    with running_server() as server:
        monkeypatch.setenv("ANTHROPIC_API_KEY", ANTHROPIC_KEY)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
        monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
        monkeypatch.setenv("MY_SERVICE_TOKEN", SERVICE_TOKEN)
        yield server


def tool_call() -> Reply:
    return api.stream(api.tool_use("call_1", "account_status", {"account": "acme"}))


def test_no_fake_key_reaches_any_sink_of_the_cli(
    project: FakeServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sinks: dict[str, str | bytes] = {}
    run_args = ["run", "tests.cli.cli_secrets:graph", "--input", '{"account": "acme"}']
    run_args += ["--store", "sqlite:///runs.db", "--json"]

    project.script(tool_call(), echo_error)
    assert main([*run_args, "--trace", "failed.trace.json"]) == 1
    failed = capsys.readouterr()
    sinks["failed run: --json stdout"], sinks["failed run: stderr log"] = failed
    project.script(tool_call(), echo_answer)
    assert main([*run_args, "--trace", "done.trace.json"]) == 0
    done = capsys.readouterr()
    sinks["run: --json stdout"], sinks["run: stderr log"] = done
    failed_id = json.loads(failed.out)["run_id"]
    done_id = json.loads(done.out)["run_id"]
    # The agent saw the keys: they were there to leak.
    assert leaks(json.dumps([seen.body for seen in project.requests]))
    assert "**********" in json.loads(failed.out)["error"]
    for command in (
        ["runs"],
        ["runs", "--json"],
        ["runs", "show", failed_id, "--json"],
        ["runs", "show", done_id],
        ["trace", failed_id],
        ["trace", done_id],
    ):
        main(command)
        out, err = capsys.readouterr()
        sinks[f"plait {' '.join(command[:2])}: stdout"] = out
        sinks[f"plait {' '.join(command[:2])}: stderr"] = err
    for path in tmp_path.iterdir():
        if path.name.startswith("runs.db") or path.name.endswith(".trace.json"):
            sinks[f"file {path.name}"] = path.read_bytes()

    assert "file runs.db" in sinks
    assert "file failed.trace.json" in sinks
    for sink, text in sinks.items():
        assert leaks(text) == [], f"{sink} holds a configured secret"


@pytest.mark.anyio
async def test_no_fake_key_in_events_errors_or_the_store_of_a_python_run(
    project: FakeServer, tmp_path: Path
) -> None:
    import os

    catalog = ModelCatalog(load_config(".", os.environ))
    graph = cli_secrets.graph
    from plait.graphs import with_nodes
    from plait.nodes import AgentNode

    configured = with_nodes(
        graph, lambda node: node.with_model(models=catalog) if isinstance(node, AgentNode) else node
    )
    events: list[Event] = []
    project.script(tool_call(), echo_error)
    store = open_store(f"sqlite:///{tmp_path / 'python.db'}")
    await store.open()
    try:
        from plait.engine import RunOptions

        result = await run(
            configured,
            {"account": "acme"},
            options=RunOptions(store=store),
            listeners=(events.append,),
        )
    finally:
        await store.close()

    assert isinstance(result.error, Exception)
    chain: list[BaseException] = []
    error: BaseException | None = result.error
    while error is not None and len(chain) < 10:
        chain.append(error)
        error = error.__cause__ or error.__context__
    assert any(isinstance(item, AuthenticationError) for item in chain)
    for item in chain:
        assert leaks(str(item) + repr(item)) == [], f"exception {type(item).__name__}"
    assert any(isinstance(event, NodeFinished) for event in events)
    assert any(isinstance(event, NodeReported) for event in events)
    for event in events:  # every event: outputs, tool results and messages too
        assert leaks(repr(event)) == [], f"event {type(event).__name__}"
    assert leaks((tmp_path / "python.db").read_bytes()) == [], "the SQLite file"


@pytest.mark.anyio
async def test_the_anthropic_boundary_masks_its_key_and_every_registered_secret() -> None:
    with running_server() as server:
        server.script(echo_error)
        model = AnthropicModel(
            "claude-sonnet-5",
            api_key=Secret(ANTHROPIC_KEY),
            base_url=server.url,
            headers={"x-service-token": Secret(SERVICE_TOKEN)},
            secrets=Secrets([TEAM_HEADER]),
        )
        with pytest.raises(AuthenticationError) as caught:
            await model.complete(ModelRequest(messages=(Message.user(f"remember {TEAM_HEADER}"),)))

    message = str(caught.value)
    assert "Bearer **********" in message
    assert "service **********" in message
    for error in (caught.value, caught.value.__cause__):
        assert leaks(str(error) + repr(error)) == [], type(error).__name__
    assert caught.value.status == 401


@pytest.mark.anyio
async def test_the_openai_boundary_masks_the_bearer_key() -> None:
    def echo(seen: Seen) -> Reply:
        said = f"Incorrect API key provided: {seen.headers.get('authorization')}"
        return openai_wire.error(401, "invalid_request_error", said, "invalid_api_key")

    with running_server() as server:
        server.script(echo)
        model = OpenAIModel("gpt-5", api_key=Secret(OPENAI_KEY), base_url=server.url)
        with pytest.raises(AuthenticationError) as caught:
            await model.complete(ModelRequest(messages=(Message.user("Hi"),)))

    assert "Bearer **********" in str(caught.value)
    for error in (caught.value, caught.value.__cause__):
        assert leaks(str(error) + repr(error)) == [], type(error).__name__


def test_secrets_mask_each_occurrence_but_not_short_values() -> None:
    secrets = Secrets([Secret(ANTHROPIC_KEY), "short", None]) | Secrets([OPENAI_KEY])

    masked = secrets.mask(f"a {ANTHROPIC_KEY} b {OPENAI_KEY} c {ANTHROPIC_KEY} short")

    assert masked == "a ********** b ********** c ********** short"
    assert len(secrets) == 2
    assert ANTHROPIC_KEY not in repr(secrets)
    quoted = json.dumps({"text": f'say "{ANTHROPIC_KEY}"'}).encode()
    assert secrets.mask_json(quoted) == b'{"text": "say \\"**********\\""}'


@pytest.mark.anyio
async def test_an_answer_that_holds_a_secret_is_stored_masked(tmp_path: Path) -> None:
    from examples.approval import graph as approval
    from plait.engine import RunOptions, RunStatus, resume
    from plait.nodes import Secrets

    options = RunOptions(secrets=Secrets([ANTHROPIC_KEY]))
    store = open_store(f"sqlite:///{tmp_path / 'answers.db'}")
    await store.open()
    try:
        waiting = await run(approval, {"amount": 30}, options=RunOptions(store=store))
        answer = {"approve": {"approved": True, "note": f"key {ANTHROPIC_KEY}"}}
        done = await resume(approval, waiting.run_id, store=store, answers=answer, options=options)
        assert done.status is RunStatus.SUCCEEDED
    finally:
        await store.close()

    assert leaks((tmp_path / "answers.db").read_bytes()) == [], "the SQLite file"
