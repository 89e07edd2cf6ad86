"""Headless Chromium driven over the DevTools protocol on a pipe (no port): what a reader's browser sees.

``open_page(path, screenshot)`` loads a file with every other host unresolvable and returns the page's text,
every request it made, console errors, dialogs, and a full-page PNG. ``scripts`` are evaluated in the page
after it loads (awaiting promises, e.g. an axe-core run) and their values kept in ``Page.results``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--mute-audio",
    "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--remote-debugging-pipe",
]


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class Page:
    """What one page load showed and did."""

    text: str
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    screenshot: Path | None = None
    results: list[Any] = field(default_factory=list)

    def external_requests(self) -> list[str]:
        return [url for url in self.requests if not url.startswith(("file:", "data:", "about:"))]


class _Pipe:
    """DevTools messages: JSON terminated by NUL, commands on the browser's fd 3, replies on its fd 4."""

    def __init__(self, executable: str, profile: Path):
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        # bash, not sh: dash cannot redirect from descriptors above 9
        redirect = f'exec "$0" "$@" 3<&{to_browser_r} 4>&{from_browser_w}'
        command = [
            shutil.which("bash") or "/bin/bash",
            "-c",
            redirect,
            executable,
            *FLAGS,
            f"--user-data-dir={profile}",
            "about:blank",
        ]
        self.process = subprocess.Popen(
            command, pass_fds=(to_browser_r, from_browser_w), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self.events: list[dict[str, Any]] = []
        self._replies: queue.Queue[dict[str, Any]] = queue.Queue()
        self._next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        buffer = b""
        while chunk := os.read(self._from_browser, 65536):
            buffer += chunk
            while b"\0" in buffer:
                raw, buffer = buffer.split(b"\0", 1)
                message = json.loads(raw)
                (self._replies.put if "id" in message else self.events.append)(message)

    def send(
        self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 30
    ) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._replies.get(timeout=max(0.1, deadline - time.monotonic()))
            if reply["id"] == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def wait_for(self, method: str, session: str, timeout: float = 30) -> None:
        """Wait for an event, dismissing any JavaScript dialog (recorded in events) that would block it."""
        deadline, dismissed = time.monotonic() + timeout, 0
        while not any(event.get("method") == method for event in self.events):
            dialogs = [e for e in self.events if e.get("method") == "Page.javascriptDialogOpening"]
            for _ in dialogs[dismissed:]:
                self.send("Page.handleJavaScriptDialog", {"accept": False}, session)
            dismissed = len(dialogs)
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {method} within {timeout} s")
            time.sleep(0.05)

    def close(self) -> None:
        with contextlib.suppress(Exception):  # the browser may already be gone
            self.send("Browser.close", timeout=5)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._to_browser)


FACTS = """(() => ({
  scripts: document.querySelectorAll('script').length,
  tables: document.querySelectorAll('main table').length,
  theads: document.querySelectorAll('main table thead').length,
  figures: document.querySelectorAll('main figure img').length,
  images_loaded: [...document.images].every(i => i.complete && i.naturalWidth > 0),
  bold_elements: [...document.querySelectorAll('main b')].map(b => b.textContent),
  toc_links: document.querySelectorAll('nav#TOC a').length,
  title: document.title,
  width: document.documentElement.scrollWidth,
}))()"""


def open_page(path: Path, screenshot: Path, width: int = 1280, scripts: tuple[str, ...] = ()) -> Page:
    """Load ``path`` in headless Chromium with other hosts blocked and save a full-page screenshot."""
    executable = chromium_path()
    if executable is None:
        raise RuntimeError("chromium is not installed")
    with tempfile.TemporaryDirectory(prefix="wellled-chromium-") as profile:
        pipe = _Pipe(executable, Path(profile))
        try:
            target = pipe.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = pipe.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Page", "Network", "Runtime", "Log"):
                pipe.send(f"{domain}.enable", session=session)
            pipe.send(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False},
                session,
            )
            pipe.send("Page.navigate", {"url": path.resolve().as_uri()}, session)
            pipe.wait_for("Page.loadEventFired", session)
            time.sleep(0.3)  # let late requests (fonts, lazy images) show up
            evaluate = {"returnByValue": True}
            text = pipe.send("Runtime.evaluate", {"expression": "document.body.innerText", **evaluate}, session)[
                "result"
            ]["value"]
            facts = pipe.send("Runtime.evaluate", {"expression": FACTS, **evaluate}, session)["result"]["value"]
            results = []
            for script in scripts:
                reply = pipe.send(
                    "Runtime.evaluate", {"expression": script, "awaitPromise": True, **evaluate}, session, timeout=120
                )
                if "exceptionDetails" in reply:
                    raise RuntimeError(f"script failed: {reply['exceptionDetails'].get('text')}")
                results.append(reply["result"].get("value"))
            size = pipe.send("Page.getLayoutMetrics", session=session)["cssContentSize"]
            shot = pipe.send(
                "Page.captureScreenshot",
                {
                    "format": "png",
                    "captureBeyondViewport": True,
                    "clip": {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 12000), "scale": 1},
                },
                session,
            )
            screenshot.write_bytes(base64.b64decode(shot["data"]))
        finally:
            pipe.close()
    page = Page(text=text, facts=facts, screenshot=screenshot, results=results)
    for event in pipe.events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Network.requestWillBeSent":
            page.requests.append(params["request"]["url"])
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            page.console_errors.append(" ".join(str(a.get("value", a.get("description"))) for a in params["args"]))
        elif method == "Runtime.exceptionThrown":
            page.console_errors.append(params["exceptionDetails"].get("text", "exception"))
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            page.console_errors.append(params["entry"].get("text", ""))
        elif method == "Page.javascriptDialogOpening":
            page.dialogs.append(params.get("message", ""))
    return page
