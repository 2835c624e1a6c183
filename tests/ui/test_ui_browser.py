"""The viewer in a real browser: Debian's headless Chromium, driven through Selenium.

Nothing is downloaded: the browser and its driver are the system's (``/usr/bin/chromium``,
``/usr/bin/chromedriver``; ``scripts/ci/browser.sh`` installs them in CI). Without them
the tests skip, except in CI (``CI=true``), where they fail. With
``PLAIT_UI_SCREENSHOTS=DIR`` the main pages are saved there (``docs/ui-*.png``).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from plait.engine import open_store
from plait.ui import create_app
from tests.ui.conftest import load, run_into, wait_for_status
from tests.ui.ui_graphs import HOSTILE, RELEASE, approval, hostile, slowly

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

    from plait.engine import StoredRun

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WAIT = 15.0


def _missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    for path in (CHROMIUM, CHROMEDRIVER):
        if not path.exists():
            return f"{path} is missing (apt-get install chromium chromium-driver)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    missing = _missing()
    if missing is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the browser tests must run in CI: {missing}")
        pytest.skip(missing)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-extensions", "--disable-sync",
        "--no-first-run", "--window-size=1280,900",
    ):  # fmt: skip
        options.add_argument(flag)
    service = Service(executable_path=str(CHROMEDRIVER))  # no Selenium Manager download
    driver = webdriver.Chrome(service=service, options=options)
    try:
        yield driver
    finally:
        driver.quit()
        assert service.process is None or service.process.poll() is not None


class _Served:
    """The viewer served by uvicorn from a thread, on a free loopback port."""

    def __init__(self, store_url: str) -> None:
        import uvicorn

        app = create_app(open_store(store_url), graphs=[approval, hostile, slowly], poll=0.1)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=1)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]})

    def __enter__(self) -> _Served:
        self.thread.start()
        deadline = time.monotonic() + WAIT
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        assert self.server.started
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(WAIT)
        self.sock.close()
        assert not self.thread.is_alive()


@pytest.fixture
def served(store_url: str) -> Iterator[_Served]:
    with _Served(store_url) as served:
        yield served


def until(check: Callable[[], object], what: str) -> None:
    """Wait until ``check()`` holds; an element replaced by a reload counts as not yet."""
    from selenium.common.exceptions import WebDriverException

    deadline = time.monotonic() + WAIT
    while True:
        try:
            if check():
                return
        except WebDriverException:
            pass
        assert time.monotonic() < deadline, f"waited {WAIT} s for {what}"
        time.sleep(0.05)


def _screenshot(browser: WebDriver, name: str) -> None:
    folder = os.environ.get("PLAIT_UI_SCREENSHOTS")
    if folder:
        browser.save_screenshot(str(Path(folder) / name))


def _attribute(browser: WebDriver, selector: str, name: str) -> str | None:
    from selenium.webdriver.common.by import By

    found = browser.find_elements(By.CSS_SELECTOR, selector)
    return found[0].get_attribute(name) if found else None


def test_open_the_runs_list_then_a_run_and_see_hostile_output_as_text(
    browser: WebDriver, served: _Served, store_url: str
) -> None:
    from selenium.webdriver.common.by import By

    shown = run_into(store_url, hostile, {"text": HOSTILE})
    run_into(store_url, approval, {"amount": 30})
    browser.get(served.url + "/runs")
    rows = browser.find_elements(By.CSS_SELECTOR, "#runs tbody tr[data-run]")
    assert len(rows) == 2
    _screenshot(browser, "ui-runs.png")

    browser.find_element(By.LINK_TEXT, shown).click()
    until(lambda: _attribute(browser, "#diagram", "data-ready") == "true", "the diagram")
    browser.find_element(By.CSS_SELECTOR, 'g.node[data-node="shout"]').click()
    until(lambda: browser.find_elements(By.CSS_SELECTOR, "#inspector pre.output"), "inspector")

    output = browser.find_element(By.CSS_SELECTOR, "#inspector pre.output")
    assert "<script>document.title='pwned'</script>" in output.text
    assert "onerror=" in output.text
    assert browser.find_elements(By.CSS_SELECTOR, "#inspector img, #inspector script") == []
    assert "pwned" not in browser.title
    assert browser.execute_script("return document.querySelectorAll('main script').length") == 0


def test_a_node_turns_green_while_the_run_goes(
    browser: WebDriver, served: _Served, store_url: str
) -> None:
    from selenium.webdriver.common.by import By

    RELEASE.clear()
    ids: list[str] = []
    worker = threading.Thread(target=lambda: ids.append(run_into(store_url, slowly, {"value": 1})))
    worker.start()
    try:

        def listed() -> bool:
            browser.get(served.url + "/runs")
            return bool(browser.find_elements(By.CSS_SELECTOR, "#runs tr[data-run]"))

        until(listed, "the run in the list")
        run_id = _attribute(browser, "#runs tr[data-run]", "data-run")
        assert run_id is not None
        browser.get(f"{served.url}/runs/{run_id}")
        slow = 'g.node[data-node="slow"]'
        until(lambda: _attribute(browser, slow, "data-status") == "pending", "slow: pending")
        assert _attribute(browser, 'g.node[data-node="first"]', "data-status") == "succeeded"
        shape = f"{slow} path, {slow} polygon"
        grey = browser.find_element(By.CSS_SELECTOR, shape).value_of_css_property("fill")
        _screenshot(browser, "ui-run.png")
    finally:
        RELEASE.set()
        worker.join(WAIT)
    until(lambda: _attribute(browser, slow, "data-status") == "succeeded", "slow: succeeded")
    until(lambda: browser.find_element(By.ID, "run-status").text == "succeeded", "run status")
    until(lambda: _attribute(browser, slow, "data-status") == "succeeded", "the reloaded page")
    green = browser.find_element(By.CSS_SELECTOR, shape).value_of_css_property("fill")
    assert green == "rgb(220, 252, 231)"
    assert grey != green
    assert ids == [run_id]


def test_answer_a_waiting_runs_question_from_the_page(
    browser: WebDriver, served: _Served, store_url: str
) -> None:
    from selenium.webdriver.common.by import By

    waiting = run_into(store_url, approval, {"amount": 30})
    browser.get(f"{served.url}/runs/{waiting}")
    assert (
        "Approve the refund of 30 EUR?" in browser.find_element(By.CSS_SELECTOR, "form.answer").text
    )
    browser.find_element(By.CSS_SELECTOR, "form.answer textarea").send_keys('{"approved": true}')
    browser.find_element(By.CSS_SELECTOR, "form.answer button").click()

    until(lambda: browser.find_element(By.ID, "run-status").text == "succeeded", "succeeded")
    stored = wait_for_status(store_url, waiting, "succeeded")
    assert stored.outputs["send"].data == b'"sent: refund of 30 EUR"'
    assert load(store_url, waiting).interrupts[0].answer is not None


def test_a_run_whose_process_was_killed_shows_interrupted_and_resumes_from_the_page(
    browser: WebDriver, served: _Served, store_url: str
) -> None:
    """kill -9 of the process running a graph: the list and the page say ``interrupted``
    (not ``running``); the page's Resume takes the run over at once and finishes it."""
    import signal
    import subprocess
    import sys

    from selenium.webdriver.common.by import By

    root = Path(__file__).resolve().parents[2]
    script = (
        "import sys; from tests.ui.conftest import run_into; "
        "from tests.ui.ui_graphs import slowly; run_into(sys.argv[1], slowly, {'value': 1})"
    )
    process = subprocess.Popen([sys.executable, "-c", script, store_url], cwd=root)
    try:
        deadline = time.monotonic() + WAIT
        while True:  # until the quick node is committed and the slow one waits forever
            runs = _stored_runs(store_url)
            if runs and "first" in runs[0].outputs:
                break
            assert time.monotonic() < deadline, "the run never committed its first node"
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(WAIT)
    run_id = runs[0].run.run_id
    assert runs[0].run.status.value == "running"  # as stored: nobody recorded its end

    browser.get(served.url + "/runs")
    row = f'#runs tr[data-run="{run_id}"] .status'
    assert browser.find_element(By.CSS_SELECTOR, row).text == "interrupted"
    browser.get(f"{served.url}/runs/{run_id}")
    assert browser.find_element(By.ID, "run-status").text == "interrupted"
    until(lambda: _attribute(browser, "#diagram", "data-ready") == "true", "the diagram")
    drawn = browser.find_element(By.CSS_SELECTOR, 'g.node[data-node="first"]').text
    assert "succeeded" in drawn  # the stored run, drawn: its committed node is green

    RELEASE.set()  # the resumed run's slow node, in the viewer's process, finishes at once
    browser.find_element(By.CSS_SELECTOR, f'form[action="/runs/{run_id}/resume"] button').click()
    until(lambda: browser.find_element(By.ID, "run-status").text == "succeeded", "succeeded")
    stored = wait_for_status(store_url, run_id, "succeeded")
    assert stored.outputs["slow"].data == b"4"


def _stored_runs(url: str) -> list[StoredRun]:
    """Every run in the store at ``url``, loaded whole."""
    import anyio

    async def go() -> list[StoredRun]:
        store = open_store(url)
        await store.open()
        try:
            found = [await store.load(record.run_id) for record in await store.list_runs()]
        finally:
            await store.close()
        return [run for run in found if run is not None]

    return anyio.run(go)
