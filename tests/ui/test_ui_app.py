"""The viewer as an ASGI app (Starlette's TestClient, on asyncio and trio): what its pages
show, what they escape, and what they refuse."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Literal

import pytest
from starlette.testclient import TestClient

from plait.engine import MemoryStore, RunRecord, StoredStatus, open_store
from plait.nodes import Secrets
from plait.ui import BindingError, create_app
from tests.test_secret_sinks import ANTHROPIC_KEY, OPENAI_KEY
from tests.ui.conftest import load, run_into, wait_for_status
from tests.ui.ui_graphs import HOSTILE, approval, failing, hostile

BASE = "http://127.0.0.1"


@pytest.fixture
def client(store_url: str, backend: Literal["asyncio", "trio"]) -> Iterator[TestClient]:
    app = create_app(open_store(store_url), graphs=[approval, hostile], poll=0.05)
    with TestClient(app, base_url=BASE, backend=backend) as client:
        yield client


def csrf_of(client: TestClient, path: str = "/graph") -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get(path).text)
    assert found is not None
    return found.group(1)


def test_the_runs_list_shows_each_run_and_filters_by_status_graph_and_id(
    client: TestClient, store_url: str
) -> None:
    done = run_into(store_url, hostile, {"text": "hello"})
    waiting = run_into(store_url, approval, {"amount": 30})

    page = client.get("/runs").text
    assert re.findall(r'data-run="([^"]+)"', page) == [waiting, done]  # newest first
    assert "status-succeeded" in page
    assert "status-waiting" in page
    assert "2 runs" in page

    only_waiting = client.get("/runs", params={"status": "waiting"}).text
    assert re.findall(r'data-run="([^"]+)"', only_waiting) == [waiting]
    of_graph = client.get("/runs", params={"graph": "hostile"}).text
    assert re.findall(r'data-run="([^"]+)"', of_graph) == [done]
    searched = client.get("/runs", params={"q": done[-8:].upper()}).text
    assert re.findall(r'data-run="([^"]+)"', searched) == [done]
    assert "No runs match these filters" in client.get("/runs", params={"q": "zzzz"}).text


def test_the_runs_list_is_paged(backend: Literal["asyncio", "trio"]) -> None:
    store = MemoryStore()
    app = create_app(store, poll=0.05)
    with TestClient(app, base_url=BASE, backend=backend) as client:
        portal = client.portal
        assert portal is not None
        for index in range(120):
            record = RunRecord(
                f"run-{index:04d}", "many", "hash", '{"nodes": []}', b"{}",
                StoredStatus.SUCCEEDED, float(index), float(index) + 1,
            )  # fmt: skip
            portal.call(store.put_run, record)
        first = client.get("/runs").text
        last = client.get("/runs", params={"page": "3"}).text

    assert len(re.findall(r'data-run="', first)) == 50
    assert re.findall(r'data-run="([^"]+)"', first)[0] == "run-0119"
    assert "120 runs, page 1 of 3" in first
    assert 'rel="next"' in first
    assert re.findall(r'data-run="([^"]+)"', last) == [f"run-{i:04d}" for i in range(19, -1, -1)]
    assert 'rel="prev"' in last
    assert 'rel="next"' not in last


def test_a_running_run_whose_process_is_gone_is_shown_interrupted(
    backend: Literal["asyncio", "trio"],
) -> None:
    store = MemoryStore()
    app = create_app(store, poll=0.05)
    with TestClient(app, base_url=BASE, backend=backend) as client:
        portal = client.portal
        assert portal is not None
        for index, run_id in enumerate(["dead", "lapsed", "alive"]):
            record = RunRecord(
                run_id, "g", "hash", '{"nodes": []}', b"{}",
                StoredStatus.RUNNING, float(index), float(index) + 1,
            )  # fmt: skip
            portal.call(store.put_run, record)
        now = time.time()
        # "dead" holds no lease; "lapsed"'s expired; "alive"'s is held by a live process
        portal.call(lambda: store.acquire("lapsed", "worker-1", 1.0, now - 60))
        portal.call(lambda: store.acquire("alive", "worker-2", 60.0, now))

        listed = client.get("/runs").text
        interrupted = client.get("/runs", params={"status": "interrupted"}).text
        running = client.get("/runs", params={"status": "running"}).text
        dead_page = client.get("/runs/dead").text
        alive_page = client.get("/runs/alive").text
        with client.stream("GET", "/runs/dead/events") as stream:
            events = stream.read().decode()

    shown = dict(re.findall(r'data-run="([^"]+)">.*?class="status status-(\w+)"', listed, re.S))
    assert shown == {"alive": "running", "lapsed": "interrupted", "dead": "interrupted"}
    assert re.findall(r'data-run="([^"]+)"', interrupted) == ["lapsed", "dead"]
    assert re.findall(r'data-run="([^"]+)"', running) == ["alive"]
    assert '<span id="run-status" class="status status-interrupted">interrupted</span>' in dead_page
    assert 'action="/runs/dead/resume"' in dead_page  # resuming takes a dead run over
    assert '<span id="run-status" class="status status-running">running</span>' in alive_page
    update, end = events.split("\n\n")[:2]
    assert '"status": "interrupted"' in update
    assert end == "event: end\ndata: {}"  # nothing will change it: the page stops listening


def test_hostile_outputs_errors_and_inputs_render_as_text(
    client: TestClient, store_url: str
) -> None:
    shown = run_into(store_url, hostile, {"text": HOSTILE})
    failed = run_into(store_url, failing, {"text": HOSTILE})

    pages = [
        client.get(f"/runs/{shown}", params={"node": "shout"}),
        client.get(f"/runs/{shown}/node", params={"path": "shout"}),
        client.get(f"/runs/{failed}", params={"node": "explode"}),
        client.get(f"/runs/{failed}/node", params={"path": "explode"}),
    ]
    for response in pages:
        assert response.status_code == 200
        assert "<script>document" not in response.text
        assert "<img src=x" not in response.text
        assert "&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;" in response.text
        assert "&lt;img src=x onerror=" in response.text  # the attribute, as text
    assert "default-src 'none'; script-src 'self'" in pages[0].headers["content-security-policy"]
    svg = client.get(f"/runs/{shown}/diagram.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert "<script" not in svg.text


def test_a_post_without_the_sessions_csrf_token_is_refused_and_changes_nothing(
    client: TestClient, store_url: str, backend: Literal["asyncio", "trio"]
) -> None:
    waiting = run_into(store_url, approval, {"amount": 30})
    token = csrf_of(client)
    with TestClient(client.app, base_url=BASE, backend=backend) as stranger:
        stranger.get("/runs")  # its own session
        refused = [
            stranger.post(f"/runs/{waiting}/cancel", data={"csrf": token}),  # another session's
            client.post(f"/runs/{waiting}/cancel", data={}),
            client.post(f"/runs/{waiting}/cancel", data={"csrf": "0" * 64}),
            client.post(f"/runs/{waiting}/cancel", content=f"csrf={token}"),  # not a form
        ]
    assert [response.status_code for response in refused] == [403, 403, 403, 403]
    assert "CSRF" in refused[0].text
    assert load(store_url, waiting).run.status is StoredStatus.WAITING


def test_answering_a_question_from_the_page_resumes_the_run(
    client: TestClient, store_url: str
) -> None:
    waiting = run_into(store_url, approval, {"amount": 30})
    page = client.get(f"/runs/{waiting}").text
    assert "Approve the refund of 30 EUR?" in page

    answered = client.post(
        f"/runs/{waiting}/answer",
        data={"csrf": csrf_of(client), "node": "approve", "answer": '{"approved": true}'},
        follow_redirects=False,
    )

    assert answered.status_code == 303
    assert answered.headers["location"] == f"/runs/{waiting}"
    stored = wait_for_status(store_url, waiting, "succeeded")
    assert stored.outputs["send"].data == b'"sent: refund of 30 EUR"'


@pytest.mark.parametrize(
    ("answer", "expected"),
    [("{approved", "is not valid JSON"), ('{"approved": "perhaps"}', "")],
)
def test_a_wrong_answer_is_said_on_the_page(
    client: TestClient, store_url: str, answer: str, expected: str
) -> None:
    waiting = run_into(store_url, approval, {"amount": 30})
    data = {"csrf": csrf_of(client), "node": "approve", "answer": answer}
    response = client.post(f"/runs/{waiting}/answer", data=data)

    assert expected in response.text
    if response.status_code == 200:  # taken to the run, where the note says what is wrong
        assert re.search(r'id="note">[^<]*approve', response.text)
    else:
        assert response.status_code == 409
    assert load(store_url, waiting).run.status is StoredStatus.WAITING


def test_cancel_marks_a_waiting_run_cancelled(client: TestClient, store_url: str) -> None:
    waiting = run_into(store_url, approval, {"amount": 30})
    response = client.post(f"/runs/{waiting}/cancel", data={"csrf": csrf_of(client)})

    assert response.status_code == 200
    assert load(store_url, waiting).run.status is StoredStatus.CANCELLED
    again = client.post(f"/runs/{waiting}/cancel", data={"csrf": csrf_of(client)})
    assert again.status_code == 409
    assert "nothing to cancel" in again.text


def test_fork_from_the_page_starts_a_new_run_with_its_parent(
    client: TestClient, store_url: str
) -> None:
    old = run_into(store_url, hostile, {"text": "one"})
    data = {"csrf": csrf_of(client), "at": "", "set": 'shout="two"'}
    response = client.post(f"/runs/{old}/fork", data=data, follow_redirects=False)

    new = response.headers["location"].rsplit("/", 1)[1]
    assert new != old
    stored = wait_for_status(store_url, new, "succeeded")
    assert stored.run.parent_run == old
    assert stored.outputs["shout"].data == b'"two"'
    assert f'href="/runs/{old}"' in client.get(f"/runs/{new}").text


def test_a_run_of_an_unknown_graph_says_how_to_give_it(client: TestClient, store_url: str) -> None:
    failed = run_into(store_url, failing, {"text": "no"})
    assert "start the viewer with <code>--graph" in client.get(f"/runs/{failed}").text
    response = client.post(f"/runs/{failed}/resume", data={"csrf": csrf_of(client)})
    assert response.status_code == 409
    assert "ran graph `failing`; to resume or fork it, start the viewer with --graph" in (
        response.text
    )


def test_the_events_stream_sends_the_statuses_then_ends(client: TestClient, store_url: str) -> None:
    waiting = run_into(store_url, approval, {"amount": 30})
    with client.stream("GET", f"/runs/{waiting}/events") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        body = stream.read().decode()

    update, end = body.split("\n\n")[:2]
    assert update.startswith("event: update\ndata: ")
    assert '"approve": "waiting"' in update
    assert '"draft": "succeeded"' in update
    assert end == "event: end\ndata: {}"


def test_unknown_runs_and_nodes_are_404(client: TestClient) -> None:
    assert client.get("/runs/nope").status_code == 404
    assert client.get("/runs/nope/events").status_code == 404
    assert client.get("/static/../templates/run.html").status_code == 404


def test_the_graph_page_draws_a_known_graph_or_a_posted_target(client: TestClient) -> None:
    known = client.get("/graph", params={"name": "approval"})
    assert known.status_code == 200
    assert "<svg" in known.text
    drawn = client.post(
        "/graph", data={"csrf": csrf_of(client), "target": "tests.ui.ui_graphs:failing"}
    )
    assert "<svg" in drawn.text
    assert "explode" in drawn.text
    wrong = client.post("/graph", data={"csrf": csrf_of(client), "target": "tests.ui.nowhere:x"})
    assert re.search(r'id="problem">[^<]*tests\.ui\.nowhere', wrong.text)
    assert client.post("/graph", data={"target": "tests.ui.ui_graphs:failing"}).status_code == 403


def test_a_request_naming_another_host_is_refused(client: TestClient) -> None:
    response = client.get("/runs", headers={"host": "attacker.example"})
    assert response.status_code == 400
    assert client.get("/runs", headers={"host": "localhost"}).status_code == 200


def test_binding_beyond_loopback_needs_allow_remote_and_a_token(
    backend: Literal["asyncio", "trio"],
) -> None:
    with pytest.raises(BindingError, match="--allow-remote"):
        create_app(MemoryStore(), host="0.0.0.0")
    with pytest.raises(BindingError, match="access token"):
        create_app(MemoryStore(), host="0.0.0.0", allow_remote=True)
    token = "t" * 24
    app = create_app(MemoryStore(), host="192.0.2.7", allow_remote=True, token=token)
    with TestClient(app, base_url="http://192.0.2.7", backend=backend) as client:
        assert client.get("/runs").status_code == 401
        assert client.get("/runs", params={"token": "x" * 24}).status_code == 401
        assert client.get("/runs", params={"token": token}).status_code == 200
        assert client.get("/runs").status_code == 200  # the cookie carries it now
    with TestClient(app, base_url="http://192.0.2.7", backend=backend) as client:
        bearer = {"authorization": f"Bearer {token}"}
        assert client.get("/runs", headers=bearer).status_code == 200


def test_no_secret_reaches_any_page(client: TestClient, store_url: str) -> None:
    secrets = Secrets([ANTHROPIC_KEY, OPENAI_KEY])
    text = f"key {ANTHROPIC_KEY} and {OPENAI_KEY}"
    shown = run_into(store_url, hostile, {"text": text}, secrets=secrets)
    failed = run_into(store_url, failing, {"text": text}, secrets=secrets)

    pages = [client.get("/runs").text]
    for run_id, node in ((shown, "shout"), (failed, "explode")):
        pages.append(client.get(f"/runs/{run_id}", params={"node": node}).text)
        pages.append(client.get(f"/runs/{run_id}/node", params={"path": node}).text)
        pages.append(client.get(f"/runs/{run_id}/diagram.svg").text)
        with client.stream("GET", f"/runs/{run_id}/events") as stream:
            pages.append(stream.read().decode())
    assert any("**********" in page for page in pages)
    for page in pages:
        assert ANTHROPIC_KEY not in page
        assert OPENAI_KEY not in page
