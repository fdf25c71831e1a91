"""The rendering processes: a command that is done with them ends them, none left running."""

from __future__ import annotations

import os
import zlib
from pathlib import Path

from thesislab.site import worker


def _rendering_processes() -> set[int]:
    """The rendering processes of this process that are still running."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, parent = stat.read_text().rsplit(")", 1)[1].split()[:2]
            command = (stat.parent / "cmdline").read_bytes()
        except (OSError, ValueError):
            continue
        if int(parent) == os.getpid() and state != "Z" and b"site.worker" in command:
            found.add(int(stat.parent.name))
    return found


def test_stop_ends_the_rendering_processes_and_leaves_no_job_pending():
    inputs = [bytes(1000 * n) for n in range(1, 30)]
    futures = [worker.submit(zlib.compress, data) for data in inputs]
    futures[0].result()
    assert _rendering_processes()

    worker.stop()

    assert not _rendering_processes()
    for data, future in zip(inputs, futures, strict=True):
        assert future.cancelled() or zlib.decompress(future.result()) == data
    assert worker.submit(zlib.compress, b"again").result() == zlib.compress(b"again")
    worker.stop()
    assert not _rendering_processes()
