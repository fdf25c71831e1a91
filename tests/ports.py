"""Ports on 127.0.0.1 for the servers the tests start: a free one, and waiting until a server
listens on its own."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path
from typing import Any


def free_port() -> int:
    """A port of 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(
    port: int, server: subprocess.Popen[Any], within_s: float, log: Path | None = None
) -> None:
    """Return once 127.0.0.1:`port` accepts connections; raise, with the end of the server's
    `log`, when the `server` process exits first or `within_s` seconds pass."""
    deadline = time.monotonic() + within_s
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            pass
        name = Path(str(server.args[0])).name
        tail = f": {log.read_text()[-500:]}" if log is not None and log.is_file() else ""
        if server.poll() is not None:
            raise RuntimeError(f"{name} exited with {server.returncode} before listening{tail}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{name} did not listen on port {port} within {within_s:g} s{tail}")
        time.sleep(0.05)
