"""Which line of a failed command's output says why it failed.

A runtime that refuses a model names the problem among other lines: `benchmark_model` logs its
parameters first and, on an ARM board, the shell then adds `Aborted`; the LiteRT Python runner
ends with a traceback whose last line may be a follow-up such as `Registration failed.`. The
reason is, in this order of preference:

1. the first line naming a known refusal: an op or op version the runtime does not have
   ("Didn't find op for builtin opcode 'SUB' version '2'", "Encountered unresolved custom op"),
   or a file that is not a TFLite model ("Model provided has model identifier ..., should be
   TFL3", "not a valid Flatbuffer");
2. the first line of an error marker: `ERROR:`, `error:`, `Failed to`, `Invalid`, or a Python
   exception line (`ValueError: ...`);
3. the last line that is not the noise of a crash (`Aborted`, `Segmentation fault`,
   `core dumped`), preferring standard error;
4. the last line, or the exit status where there is no output.
"""

from __future__ import annotations

import re

MAX_REASON_CHARS = 240

_REFUSALS = re.compile(
    r"Didn't find op|unresolved custom op|model identifier|not a valid [Ff]lat[Bb]uffer"
)
_ERROR_MARKERS = re.compile(r"ERROR:|error:|Failed to|Invalid|^[A-Za-z_.]*(?:Error|Exception): ")
_CRASH_NOISE = re.compile(r"\bAborted\b|\bSegmentation fault\b|core dumped")


def failure_reason(*outputs: str, returncode: int | None = None) -> str:
    """The line of `outputs` (standard error first) that says why the command failed."""
    streams = [[line.strip() for line in output.splitlines() if line.strip()] for output in outputs]
    lines = [line for stream in streams for line in stream]
    for pattern in (_REFUSALS, _ERROR_MARKERS):
        found = next((line for line in lines if pattern.search(line)), None)
        if found is not None:
            return found[:MAX_REASON_CHARS]
    for stream in streams:
        meaningful = [line for line in stream if not _CRASH_NOISE.search(line)]
        if meaningful:
            return meaningful[-1][:MAX_REASON_CHARS]
    if lines:
        return lines[-1][:MAX_REASON_CHARS]
    return "no output" if returncode is None else f"exit status {returncode} and no output"
