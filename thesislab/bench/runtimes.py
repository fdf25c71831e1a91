"""The two ways to time a TFLite file on a host: LiteRT through Python, or `benchmark_model`.

Each call is one fresh process on the host, measuring one model under the protocol's thread
count, warm-up and timed runs.
"""

from __future__ import annotations

import json
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from typing import Protocol as Interface

from thesislab.bench.benchmark_model import parse_benchmark_output
from thesislab.bench.devices import DeviceSpec
from thesislab.bench.hosts import SETUP_TIMEOUT_S, CommandResult, Host
from thesislab.bench.protocol import CallResult
from thesislab.errors import ThesislabError
from thesislab.records import Protocol

RUNNER_SCRIPT = Path(__file__).with_name("litert_runner.py")


class Runtime(Interface):
    """Something that times one model per call on a host."""

    def prepare(self, host: Host) -> str:
        """Check the runtime is there (copying what it needs); return its description."""
        ...

    def call(
        self,
        host: Host,
        model: str,
        protocol: Protocol,
        timeout_s: float,
        reference: str | None = None,
    ) -> CallResult:
        """Time the model at `model` (a path on the host) once under `protocol`, each run
        followed by one of the model at `reference` where one is given."""
        ...


def _failed(what: str, host: Host, result: CommandResult) -> ThesislabError:
    return ThesislabError(f"{what} on {host.name} failed: {result.reason()}")


def _json_line(result: CommandResult) -> dict[str, Any]:
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise ThesislabError(
            f"LiteRT runner: expected a JSON line on stdout, received: {result.reason()}"
        )
    value: dict[str, Any] = json.loads(lines[-1])
    return value


@dataclass
class LiteRTPython:
    """`litert_runner.py`, copied to the host and run by its Python."""

    python: str
    _script: str | None = field(default=None, repr=False)

    def prepare(self, host: Host) -> str:
        """Copy the runner script and ask it which interpreter package it finds."""
        self._script = host.put(RUNNER_SCRIPT).path
        result = host.run([self.python, self._script, "--version"], SETUP_TIMEOUT_S)
        if result.returncode != 0:
            raise ThesislabError(
                f"missing runtime on {host.name}: expected {self.python} with ai-edge-litert, "
                f"tflite-runtime or tensorflow installed, received: {result.reason()}"
            )
        return f"{_json_line(result)['runtime']} (python)"

    def call(
        self,
        host: Host,
        model: str,
        protocol: Protocol,
        timeout_s: float,
        reference: str | None = None,
    ) -> CallResult:
        """One run of the runner script on `model`."""
        if self._script is None:
            raise ThesislabError("LiteRT runtime: prepare() must run before call()")
        argv = [
            self.python,
            self._script,
            model,
            f"--threads={protocol.threads or 1}",
            f"--warmup={protocol.warmup_runs or 0}",
            f"--runs={protocol.runs or 1}",
            f"--batch={protocol.batch_size}",
            f"--min-secs={protocol.min_secs or 0:g}",
            f"--warmup-min-secs={protocol.warmup_min_secs or 0:g}",
            *([f"--reference={reference}"] if reference is not None else []),
        ]
        result = host.run(argv, timeout_s)
        if result.returncode != 0:
            raise _failed(f"LiteRT run of {Path(model).name}", host, result)
        output = _json_line(result)
        times = [float(value) for value in output["times_ms"]]
        return CallResult(
            mean_ms=statistics.fmean(times),
            count=len(times),
            std_ms=statistics.pstdev(times),
            times_ms=tuple(times),
            init_ms=float(output["init_ms"]),
            first_ms=float(output["first_ms"]),
            reference_times_ms=tuple(map(float, output.get("reference_times_ms", ()))),
        )


@dataclass
class BenchmarkModel:
    """TFLite's `benchmark_model` binary, already installed on the host."""

    binary: str

    def prepare(self, host: Host) -> str:
        """Check that the binary exists and is executable."""
        if host.run(["test", "-x", self.binary], SETUP_TIMEOUT_S).returncode != 0:
            raise ThesislabError(
                f"missing runtime on {host.name}: expected an executable benchmark_model at "
                f"{self.binary}, found none"
            )
        return f"benchmark_model ({Path(self.binary).name})"

    def call(
        self,
        host: Host,
        model: str,
        protocol: Protocol,
        timeout_s: float,
        reference: str | None = None,
    ) -> CallResult:
        """One `benchmark_model` run with the protocol's run counts and least durations."""
        if reference is not None:
            raise ThesislabError(
                "benchmark_model times one model per call: a protocol with a reference needs "
                "the python runtime"
            )
        if protocol.batch_size != 1:
            raise ThesislabError(
                f"benchmark_model measures batch size 1, received {protocol.batch_size}"
            )
        argv = [
            self.binary,
            f"--graph={model}",
            f"--num_threads={protocol.threads or 1}",
            f"--warmup_runs={protocol.warmup_runs or 0}",
            f"--num_runs={protocol.runs or 1}",
            f"--min_secs={protocol.min_secs or 0:g}",
            f"--warmup_min_secs={protocol.warmup_min_secs or 0:g}",
        ]
        result = host.run(argv, timeout_s)
        if result.returncode != 0:
            raise _failed(f"benchmark_model on {Path(model).name}", host, result)
        return parse_benchmark_output(result.stdout + "\n" + result.stderr)


def runtime_for(spec: DeviceSpec) -> Runtime:
    """The runtime a device is configured with (this machine's LiteRT runs in this Python)."""
    if spec.runtime == "benchmark_model":
        return BenchmarkModel(spec.benchmark_model or "")
    return LiteRTPython(spec.python if spec.is_remote else sys.executable)
