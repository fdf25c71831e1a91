"""Rendering processes beside the build, for work that holds the GIL (vl-convert does).

`submit(function, *arguments)` queues a call of a module-level function for a child Python
process, started on first use (`python -c`, so the caller's main script is never re-imported) and
kept for later builds, at a lower CPU priority so that on a busy machine the pages come first.
While the build makes its pages one process works the queue, in order, so that the build keeps a
core; once it waits for the results (`hurry`), up to `PROCESSES` processes work it side by side.
A job not started yet can be cancelled; `stop()` ends the processes when a command is done with
them. Requests and replies are pickles framed by their length, on the child's stdin and on a copy
of its original stdout (its own prints go to stderr).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import IO, Any

_HEADER = struct.Struct("!Q")

PROCESSES = max(1, min(2, os.cpu_count() or 1))
"""How many rendering processes work the queue once the build waits for it."""

_queue: deque[tuple[Future[bytes], bytes]] = deque()
"""Jobs not started yet: their future and their pickled request."""
_feeders = 0
"""Threads feeding the queue's jobs to rendering processes, one process each."""
_changed = threading.Condition()
"""Guards the queue and the feeders' count; notified when a feeder stops."""
_idle: queue.SimpleQueue[subprocess.Popen[bytes]] = queue.SimpleQueue()
"""Started rendering processes waiting for a job."""


class WorkerError(RuntimeError):
    """A job failed in a rendering process (the message names the error there)."""


def _pickled(value: object) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _send(stream: IO[bytes], data: bytes) -> None:
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:
    """The next value on `stream`, or None at its end."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    return pickle.loads(stream.read(_HEADER.unpack(header)[0]))


def _started() -> subprocess.Popen[bytes]:
    """An idle rendering process, started if there is none."""
    while True:
        try:
            process = _idle.get_nowait()
        except queue.Empty:
            break
        if process.poll() is None:
            return process
    code = "from thesislab.site.worker import serve; serve()"
    return subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )


def _run(process: subprocess.Popen[bytes], request: bytes) -> bytes:
    """Send one job to `process` and wait for its result."""
    assert process.stdin is not None and process.stdout is not None
    try:
        _send(process.stdin, request)
        reply = _receive(process.stdout)
    except BrokenPipeError:
        reply = None
    if reply is None:
        raise WorkerError(f"the rendering process stopped (exit status {process.wait()})")
    status, value = reply
    if status != "ok":
        raise WorkerError(value)
    return bytes(value)


def _feed() -> None:
    """Feed the queue's jobs to one rendering process until the queue is empty."""
    global _feeders
    process: subprocess.Popen[bytes] | None = None
    try:
        while True:
            with _changed:
                if not _queue:
                    return
                future, request = _queue.popleft()
            if not future.set_running_or_notify_cancel():
                continue
            try:
                if process is None or process.poll() is not None:
                    process = _started()
                future.set_result(_run(process, request))
            except BaseException as error:  # the build names the job that failed
                future.set_exception(error)
    finally:
        if process is not None and process.poll() is None:
            _idle.put(process)
        with _changed:
            _feeders -= 1
            _changed.notify_all()


def _add_feeders(count: int) -> None:
    """Start feeders (with `_changed` held) while there are jobs and fewer than `count`."""
    global _feeders
    while _queue and _feeders < count:
        _feeders += 1
        threading.Thread(target=_feed, name="thesislab-render").start()


def submit(function: Callable[..., bytes], *arguments: object) -> Future[bytes]:
    """Queue `function(*arguments)` (a module-level function, picklable arguments) for a
    rendering process."""
    future: Future[bytes] = Future()
    request = _pickled((function.__module__, function.__qualname__, arguments))
    with _changed:
        _queue.append((future, request))
        _add_feeders(1)
    return future


def hurry() -> None:
    """Let up to `PROCESSES` rendering processes work the jobs left (the caller is done with
    its own work)."""
    with _changed:
        _add_feeders(PROCESSES)


def drain() -> None:
    """Wait until every job submitted so far has run, and what was done with its result (its
    future's callbacks) too."""
    with _changed:
        _changed.wait_for(lambda: _feeders == 0)


def stop() -> None:
    """Cancel the jobs not started, wait for those running and end the rendering processes, so
    that a command done with them leaves none behind (they hold its standard error, which its
    log relay waits to see closed)."""
    with _changed:
        while _queue:
            future, _ = _queue.popleft()
            future.cancel()
    drain()
    while True:
        try:
            process = _idle.get_nowait()
        except queue.Empty:
            return
        if process.stdin is not None:
            process.stdin.close()
        process.wait()


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
        _send(replies, _pickled(reply))
