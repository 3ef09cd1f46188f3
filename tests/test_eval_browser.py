"""The HTML report in a real headless Chromium: no console errors, no network, plots drawn.

Chromium is driven over the DevTools protocol (websocket) so console messages, thrown
exceptions and every request the page makes are seen directly. A control page that does
make a request and log an error proves the detector can fail.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from grounding.evaluation.evaluate import evaluate
from tests.eval_rows import make_rows, write_rows

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="needs Debian's chromium: apt-get install chromium"
    ),
]
websockets_sync = pytest.importorskip("websockets.sync.client")


@dataclass
class PageLoad:
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    images: dict[str, int] = field(default_factory=dict)
    screenshot: bytes = b""


class _Browser:
    def __init__(self, profile: Path) -> None:
        self.process = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-port=0",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--no-first-run", "--host-resolver-rules=MAP * ~NOTFOUND",
             f"--user-data-dir={profile}", "--window-size=1200,900", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.port = self._port()

    def _port(self) -> int:
        assert self.process.stderr is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self.process.stderr.readline()
            if "DevTools listening on ws://" in line:
                drain = threading.Thread(target=self.process.stderr.read, daemon=True)
                drain.start()  # keep reading so a chatty browser never blocks on a full pipe
                return int(line.split("ws://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])
        raise AssertionError("chromium did not start its DevTools endpoint")

    def load(self, url: str, settle: float = 1.0) -> PageLoad:
        """Load `url` in a fresh tab, so nothing from an earlier page is replayed."""
        base = f"http://127.0.0.1:{self.port}/json"
        request = urllib.request.Request(f"{base}/new?about:blank", method="PUT")
        with urllib.request.urlopen(request, timeout=10) as reply:
            target = json.load(reply)
        try:
            with websockets_sync.connect(target["webSocketDebuggerUrl"], max_size=None) as ws:
                return _drive(ws, url, settle)
        finally:
            urllib.request.urlopen(f"{base}/close/{target['id']}", timeout=10).close()

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        if self.process.stderr is not None:
            self.process.stderr.close()


def _drive(ws, url: str, settle: float) -> PageLoad:
    result = PageLoad()
    counter = iter(range(1, 10_000))
    replies: dict[int, dict] = {}

    def send(method: str, **params) -> int:
        number = next(counter)
        ws.send(json.dumps({"id": number, "method": method, "params": params}))
        return number

    def pump(until: float, want: int | None = None, event: str | None = None) -> None:
        while time.monotonic() < until:
            try:
                message = json.loads(ws.recv(timeout=max(0.01, until - time.monotonic())))
            except TimeoutError:
                return
            if "id" in message:
                replies[message["id"]] = message
                if message["id"] == want:
                    return
                continue
            _record(message, result)
            if event and message.get("method") == event:
                return

    for method in ("Runtime.enable", "Log.enable", "Network.enable", "Page.enable"):
        pump(time.monotonic() + 10, send(method))
    send("Page.navigate", url=url)
    pump(time.monotonic() + 30, event="Page.loadEventFired")
    pump(time.monotonic() + settle)
    expression = (
        "JSON.stringify({count: document.images.length, drawn: Array.from(document.images)"
        ".filter(i => i.complete && i.naturalWidth > 0).length})"
    )
    number = send("Runtime.evaluate", expression=expression, returnByValue=True)
    pump(time.monotonic() + 10, number)
    result.images = json.loads(replies[number]["result"]["result"]["value"])
    number = send(
        "Runtime.evaluate",
        expression="document.querySelector('h2 + .plots, .plots')?.scrollIntoView() ?? null",
    )
    pump(time.monotonic() + 10, number)
    number = send("Page.captureScreenshot", format="png", captureBeyondViewport=False)
    pump(time.monotonic() + 30, number)
    result.screenshot = base64.b64decode(replies[number]["result"]["data"])
    return result


def _record(message: dict, result: PageLoad) -> None:
    method, params = message.get("method"), message.get("params", {})
    if method == "Runtime.exceptionThrown":
        result.errors.append(params["exceptionDetails"].get("text", "exception"))
    elif method == "Runtime.consoleAPICalled" and params.get("type") in {"error", "assert"}:
        result.errors.append(json.dumps(params.get("args", []))[:200])
    elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
        result.errors.append(params["entry"].get("text", "log error"))
    elif method == "Network.requestWillBeSent":
        request_url = params["request"]["url"]
        if not request_url.startswith(("data:", "file:", "about:")):
            result.requests.append(request_url)


@pytest.fixture(scope="module")
def browser():
    with tempfile.TemporaryDirectory() as profile:
        running = _Browser(Path(profile))
        try:
            yield running
        finally:
            running.close()


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("eval")
    data = write_rows(out / "rows.jsonl", make_rows(60))
    evaluate(data, out / "run", scorers=("overlap",), progress=False)
    return out / "run" / "report.html"


def test_control_page_shows_the_detector_works(browser, tmp_path):
    page = tmp_path / "control.html"
    page.write_text(
        "<!DOCTYPE html><html><body><img src='http://example.invalid/x.png'>"
        "<script>console.error('boom')</script></body></html>",
        encoding="utf-8",
    )
    loaded = browser.load(page.as_uri())
    assert any("example.invalid" in url for url in loaded.requests)
    assert any("boom" in error for error in loaded.errors)


def test_report_loads_offline_without_errors_and_draws_its_plots(browser, report):
    loaded = browser.load(report.as_uri())
    assert loaded.errors == []
    assert loaded.requests == []
    assert loaded.images["count"] >= 5  # PR, ROC, reliability, histogram, confusion
    assert loaded.images["drawn"] == loaded.images["count"]
    shots = os.environ.get("EVAL_SCREENSHOT_DIR")  # set it to look at the screenshot
    if shots:
        (Path(shots) / "report-screenshot.png").write_bytes(loaded.screenshot)
    assert loaded.screenshot.startswith(b"\x89PNG")
    assert len(loaded.screenshot) > 20_000  # a page with plots, not a blank one
