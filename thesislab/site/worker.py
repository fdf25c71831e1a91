"""A rendering process beside the build, for work that holds the GIL (vl-convert does).

`submit(function, *arguments)` runs a module-level function in a child Python process, started on
first use (`python -c`, so the caller's main script is never re-imported) and kept for later
builds, at a lower CPU priority so that on a busy machine the pages come first. Jobs run one at a
time, in order, fed by one thread of this process; a job not started yet can be cancelled.
Requests and replies are pickles framed by their length, on the child's stdin and on a copy of its
original stdout (its own prints go to stderr).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import pickle
import struct
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import IO, Any

_HEADER = struct.Struct("!Q")

_feeder: ThreadPoolExecutor | None = None
_process: subprocess.Popen[bytes] | None = None


class WorkerError(RuntimeError):
    """A job failed in the rendering process (the message names the error there)."""


def _send(stream: IO[bytes], value: object) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:
    """The next value on `stream`, or None at its end."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    return pickle.loads(stream.read(_HEADER.unpack(header)[0]))


def _started() -> subprocess.Popen[bytes]:
    """The rendering process, started (again) if needed."""
    global _process
    if _process is None or _process.poll() is not None:
        code = "from thesislab.site.worker import serve; serve()"
        _process = subprocess.Popen(
            [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
    return _process


def _run(module: str, name: str, arguments: tuple[object, ...]) -> bytes:
    """Send one job to the rendering process and wait for its result (on the feeding thread)."""
    process = _started()
    assert process.stdin is not None and process.stdout is not None
    try:
        _send(process.stdin, (module, name, arguments))
        reply = _receive(process.stdout)
    except BrokenPipeError:
        reply = None
    if reply is None:
        raise WorkerError(f"the rendering process stopped (exit status {process.wait()})")
    status, value = reply
    if status != "ok":
        raise WorkerError(value)
    return bytes(value)


def _feeding_thread() -> ThreadPoolExecutor:
    global _feeder
    if _feeder is None:
        _feeder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="thesislab-render")
    return _feeder


def submit(function: Callable[..., bytes], *arguments: object) -> Future[bytes]:
    """Run `function(*arguments)` (a module-level function, picklable arguments) in the
    rendering process."""
    return _feeding_thread().submit(_run, function.__module__, function.__qualname__, arguments)


def drain() -> None:
    """Wait until every job submitted so far has run, and what was done with its result (its
    future's callbacks) too."""
    _feeding_thread().submit(lambda: None).result()


def serve() -> None:
    """The rendering process: run the jobs read from stdin until it closes."""
    with contextlib.suppress(AttributeError, OSError):
        os.nice(5)
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # stray prints must not corrupt replies
    while (request := _receive(sys.stdin.buffer)) is not None:
        module, name, arguments = request
        try:
            reply = ("ok", getattr(importlib.import_module(module), name)(*arguments))
        except Exception as error:  # report every failure to the build, which names the chart
            reply = ("error", f"{type(error).__name__}: {error}")
        _send(replies, reply)
