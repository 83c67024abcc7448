"""Headless Chromium driven over the DevTools protocol, for the report test.

A minimal CDP client on one websocket (``websocket-client``): open a page, record
console messages, exceptions, log entries and network requests while it loads,
evaluate JavaScript, and take a full-page screenshot.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
    "--remote-debugging-port=0",
]


def on_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def find_or_install_chromium() -> str:
    """The chromium binary; installed with apt-get (Debian's package) when missing.

    When it cannot be had: a failure under CI=true, else a skip with the reason.
    """
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    problem = "chromium is not installed"
    if shutil.which("apt-get") and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        command = "apt-get install -y chromium || (apt-get update && apt-get install -y chromium)"
        try:
            done = subprocess.run(["sh", "-c", command], env=env, capture_output=True, text=True, timeout=900)
        except subprocess.TimeoutExpired:
            done = None
        found = shutil.which("chromium")
        if found:
            return found
        tail = (done.stdout + done.stderr).strip().splitlines()[-3:] if done else ["timed out"]
        problem += "; 'apt-get install -y chromium' failed: " + " / ".join(tail)
    else:
        problem += " (install Debian's package: apt-get install -y chromium)"
    if on_ci():
        pytest.fail(f"the report test needs headless Chromium under CI=true: {problem}")
    pytest.skip(f"headless Chromium unavailable, report rendering not checked: {problem}")


class Page:
    """One browser tab, reached through a flattened session on the browser's websocket."""

    def __init__(self, binary: str, width: int = 1280, height: int = 900, timeout: float = 60) -> None:
        import websocket  # websocket-client, a test dependency

        self.timeout = timeout
        self.events: list[dict[str, Any]] = []
        self._next_id = 0
        self._profile = tempfile.mkdtemp(prefix="ledger-chromium-")
        self._log = tempfile.TemporaryFile()  # chromium's own stderr (never a pipe: it could fill)
        self._process = subprocess.Popen(
            [binary, *CHROMIUM_FLAGS, f"--user-data-dir={self._profile}/profile",
             f"--window-size={width},{height}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=self._log)
        try:
            port_file = Path(self._profile) / "profile" / "DevToolsActivePort"
            deadline = time.monotonic() + timeout
            while not (port_file.exists() and len(port_file.read_text().splitlines()) >= 2):
                if self._process.poll() is not None:
                    self._log.seek(0)
                    output = self._log.read().decode(errors="replace")
                    raise RuntimeError("chromium exited: " + output[-2000:])
                if time.monotonic() > deadline:
                    raise TimeoutError("chromium did not open its debugging port")
                time.sleep(0.05)
            port, path = port_file.read_text().splitlines()[:2]
            self._ws = websocket.create_connection(f"ws://127.0.0.1:{port}{path}", timeout=timeout,
                                                   suppress_origin=True)
            target = self._call("Target.createTarget", {"url": "about:blank"})["targetId"]
            attached = self._call("Target.attachToTarget", {"targetId": target, "flatten": True})
            self._session = attached["sessionId"]
            for domain in ("Page", "Runtime", "Log", "Network"):
                self.call(f"{domain}.enable")
            self.call("Emulation.setDeviceMetricsOverride",
                      {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        except BaseException:
            self.close()
            raise

    def _call(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> Any:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self._ws.send(json.dumps(message))
        while True:
            reply = self._receive()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def _receive(self) -> dict[str, Any]:
        reply = json.loads(self._ws.recv())
        if "method" in reply:
            self.events.append(reply)
        return reply

    def call(self, method: str, params: dict[str, Any] | None = None) -> Any:
        return self._call(method, params, self._session)

    def load(self, url: str) -> None:
        """Navigate and wait for the load event (then a moment for late console messages)."""
        self.events.clear()
        start = 0
        self.call("Page.navigate", {"url": url})
        deadline = time.monotonic() + self.timeout
        while not any(e["method"] == "Page.loadEventFired" for e in self.events[start:]):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not finish loading")
            self._receive()
        self.evaluate("new Promise(resolve => requestAnimationFrame(() => setTimeout(resolve, 100)))",
                      await_promise=True)

    def evaluate(self, expression: str, await_promise: bool = False) -> Any:
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": await_promise})
        if "exceptionDetails" in result:
            raise RuntimeError(f"evaluation failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def problems(self) -> list[str]:
        """Console errors and warnings, uncaught exceptions and error log entries (CSP included)."""
        found = []
        for event in self.events:
            params = event.get("params", {})
            method = event["method"]
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "warning", "assert"):
                words = (str(a.get("value", a.get("description"))) for a in params["args"])
                found.append("console: " + " ".join(words))
            elif method == "Runtime.exceptionThrown":
                found.append("exception: " + json.dumps(params["exceptionDetails"])[:500])
            elif method == "Log.entryAdded" and params["entry"]["level"] in ("error", "warning"):
                found.append(f"log ({params['entry']['source']}): {params['entry']['text']}")
        return found

    def requests(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self.events
                if e["method"] == "Network.requestWillBeSent"]

    def screenshot(self, path: Path) -> tuple[int, int]:
        """A full-page PNG; returns its CSS size."""
        metrics = self.call("Page.getLayoutMetrics")
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        width, height = int(size["width"]), int(size["height"])
        shot = self.call("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}})
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return width, height

    def close(self) -> None:
        try:
            if getattr(self, "_ws", None) is not None:
                try:
                    self._call("Browser.close")
                except Exception:  # noqa: BLE001 - closing anyway
                    pass
                self._ws.close()
        finally:
            if self._process.poll() is None:
                self._process.terminate()
                try:
                    self._process.wait(10)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait(10)
            shutil.rmtree(self._profile, ignore_errors=True)
            self._log.close()

    def __enter__(self) -> Page:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
