"""Keeps the native libraries' log lines off the terminal of a `thesislab` command.

TensorFlow, absl and TFLite write straight to file descriptor 2 from C++: absl's warning that
messages come before `absl::InitializeLog()`, oneDNN notices, `cpu_feature_guard`, the
converter's SavedModel and MLIR notes, the quantizer's settings, the XNNPACK delegate's INFO line.
No environment variable silences all of them, so `filtered_native_logs()` points descriptor 2 at
a pipe read by a small relay process that drops those lines and passes every other one on, while
Python's own `sys.stderr` (progress, `error:` messages, tracebacks) keeps writing to the real
stream. The relay is a separate process so that a native crash's last words (absl's `F` lines,
Python's fatal errors) still get through. `thesislab --verbose COMMAND` shows everything.

This file runs as the relay too (`python -I -S native_logs.py`), so it imports the standard
library only.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from typing import BinaryIO

NATIVE_CHATTER = re.compile(
    rb"[IWE]\d{4} [\d:.]+ +\d+ [^\]\s]+:\d+\] "  # absl/glog INFO, WARNING, ERROR
    rb"|WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    rb"|To enable the following instructions: .* rebuild TensorFlow"  # cpu_feature_guard, 2nd line
    rb"|INFO: "  # TFLite's own INFO lines (the XNNPACK delegate)
    rb"|fully_quantize: \d+, inference_type: "  # the TFLite quantizer's settings
)
"""Lines of native start-up and progress chatter; absl's fatal (`F`) lines are not among them."""

RELAY_EXIT_WAIT_S = 5.0
"""How long a command waits at its end for the relay to pass on what is still in the pipe."""


def is_native_chatter(line: bytes) -> bool:
    """Whether a line written to descriptor 2 is native log chatter to keep off the terminal."""
    return NATIVE_CHATTER.match(line) is not None


def relay(source: BinaryIO, target: BinaryIO) -> None:
    """Copy `source` to `target` line by line, without the native chatter, until end of file."""
    for line in source:
        if not is_native_chatter(line):
            target.write(line)
            target.flush()


@contextlib.contextmanager
def filtered_native_logs() -> Iterator[None]:
    """Within the block, native writes to descriptor 2 (and those of child processes started in
    it) pass through the relay; Python's `sys.stderr` writes to the original stream directly.

    Where `sys.stderr` is not descriptor 2 (a test harness capturing it) or descriptor 2 cannot
    be duplicated, nothing changes."""
    try:
        if sys.stderr.fileno() != 2:
            raise OSError("sys.stderr is not descriptor 2")
        original = os.dup(2)
    except (AttributeError, OSError, ValueError):
        yield
        return
    read_end, write_end = os.pipe()
    relay_process = subprocess.Popen(
        [sys.executable, "-I", "-S", __file__], stdin=read_end, stdout=original
    )
    os.close(read_end)
    python_stderr = sys.stderr
    python_stderr.flush()
    sys.stderr = open(  # noqa: SIM115 - closed when the block ends
        original,
        "w",
        buffering=1,
        encoding=python_stderr.encoding,
        errors=python_stderr.errors,
        closefd=False,
    )
    os.dup2(write_end, 2)
    os.close(write_end)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(original, 2)
        sys.stderr.close()
        sys.stderr = python_stderr
        os.close(original)
        # Child processes still holding the pipe keep the relay alive after the wait.
        with contextlib.suppress(subprocess.TimeoutExpired):
            relay_process.wait(RELAY_EXIT_WAIT_S)


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the command, not its relay
    with contextlib.suppress(BrokenPipeError):
        relay(sys.stdin.buffer, sys.stdout.buffer)
