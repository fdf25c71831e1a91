"""Debian's Chromium as the browser tests drive it (through Playwright), a page watched for what a
test may not allow, and a built site served over http on 127.0.0.1."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.ports import wait_for_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_SCHEMES = {"file", "data", "blob", "about"}
"""Addresses a page may load besides 127.0.0.1's."""
NOWHERE = "http://127.0.0.1:9"
"""The proxy of every request for another machine: nothing listens there, so each fails here.
(Requests are watched, not routed: routing would turn the browser's cache off.)"""


def _outside(url: str) -> bool:
    """Whether `url` is on another machine."""
    parts = urlsplit(url)
    return parts.scheme not in LOCAL_SCHEMES and parts.hostname != "127.0.0.1"


@dataclass
class Watch:
    """What the pages of one browser context did that a test may not allow."""

    outside: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@contextmanager
def served(root: Path, port: int) -> Iterator[str]:
    """The folder `root` served by `http.server` on 127.0.0.1:`port` (its address), stopped
    on leaving."""
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, server, 10)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


@contextmanager
def watched_page(
    browser: Any, width: int, height: int, downloads: bool = False
) -> Iterator[tuple[Any, Watch]]:
    """A page of `browser` at `width` × `height` whose console errors and dialogs are recorded,
    and whose requests for anything but this machine are recorded and fail."""
    context = browser.new_context(
        accept_downloads=downloads,
        viewport={"width": width, "height": height},
        proxy={"server": NOWHERE, "bypass": "127.0.0.1"},
    )
    watch = Watch()
    context.on(
        "request", lambda request: _outside(request.url) and watch.outside.append(request.url)
    )
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and watch.errors.append(m.text))
    page.on("pageerror", lambda error: watch.errors.append(str(error)))
    page.on("dialog", lambda dialog: (watch.dialogs.append(dialog.message), dialog.dismiss()))
    try:
        yield page, watch
    finally:
        context.close()
