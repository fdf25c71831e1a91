"""One Python process running Keras on JAX for the whole test session, so that the tests comparing
the backends pay for starting JAX once: a test hands it a function of its own module and JSON
arguments, and gets back what the function returns (as JSON) or the traceback it raised.

Run as a module (`python -m tests.jax_process`) it is that process: it reads one call per line
on standard input and writes one answer per line on a descriptor of its own, so that whatever
the functions print goes to standard error.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import traceback
from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


class JaxProcess:
    """The process on JAX, started at once: it imports JAX while the test that asked for it
    builds what it compares on TensorFlow."""

    def __init__(self) -> None:
        environment = {
            **os.environ,
            "KERAS_BACKEND": "jax",
            "PYTHONPATH": str(REPO),
            # XLA's optimisation passes cost more than they save for these tiny networks.
            "XLA_FLAGS": "--xla_backend_optimization_level=0",
        }
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.jax_process"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO,
            env=environment,
        )

    def call(self, function: Callable[..., Any], *arguments: Any) -> Any:
        """`function(*arguments)` run in the process on JAX; an exception there fails the test
        with its traceback."""
        process = self._process
        assert process.stdin is not None and process.stdout is not None
        request = {"module": function.__module__, "name": function.__name__, "args": arguments}
        process.stdin.write(json.dumps(request) + "\n")
        process.stdin.flush()
        line = process.stdout.readline()
        assert line, f"the process on JAX ended (exit status {process.wait()})"
        answer = json.loads(line)
        assert "error" not in answer, answer.get("error")
        return answer["result"]

    def close(self) -> None:
        assert self._process.stdin is not None
        self._process.stdin.close()
        self._process.wait(timeout=60)


def _serve() -> None:
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # what the functions print
    import keras

    assert keras.backend.backend() == "jax", keras.backend.backend()
    for line in sys.stdin:
        request = json.loads(line)
        try:
            function = getattr(import_module(request["module"]), request["name"])
            answer = {"result": function(*request["args"])}
        except Exception:  # the test that asked fails with it
            answer = {"error": traceback.format_exc()}
        answers.write(json.dumps(answer) + "\n")
        answers.flush()


if __name__ == "__main__":
    _serve()
