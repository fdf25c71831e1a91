"""Time one TFLite model with the LiteRT Python interpreter and print the figures as JSON.

Self-contained (standard library and NumPy, plus whichever interpreter package is installed:
`ai-edge-litert`, `tflite-runtime` or TensorFlow), so that it can be uploaded next to a model and
run on a device that has no thesislab::

    python3 litert_runner.py MODEL.tflite --threads 1 --warmup 10 --runs 100 --min-secs 1
    python3 -m thesislab.bench.litert_runner --version

One line of JSON on stdout: `runtime`, `init_ms` (interpreter creation and tensor allocation),
`first_ms` (the first inference, which is the first of the warm-up runs, as in `benchmark_model`),
`times_ms` (each timed run, after the warm-up runs). As `benchmark_model` does, the warm-up and
the timed runs each continue until both their count and their least duration are reached.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from importlib import metadata
from typing import Any

import numpy as np

_INTERPRETERS = (
    ("ai_edge_litert.interpreter", "ai-edge-litert"),
    ("tflite_runtime.interpreter", "tflite-runtime"),
    ("tensorflow.lite", "tensorflow"),
)


def load_interpreter_class() -> tuple[Any, str]:
    """The first interpreter class found, and `package version` describing it."""
    import importlib

    for module_name, package in _INTERPRETERS:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        return module.Interpreter, f"{package} {metadata.version(package)}"
    names = ", ".join(package for _, package in _INTERPRETERS)
    raise SystemExit(f"no LiteRT interpreter: expected one of {names} to be installed")


def _random_input(detail: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
    dtype = np.dtype(detail["dtype"])
    shape = tuple(int(size) for size in detail["shape"])
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return rng.integers(info.min, int(info.max) + 1, size=shape, dtype=dtype)
    return rng.standard_normal(shape).astype(dtype)


def _milliseconds(start_ns: int, end_ns: int) -> float:
    return (end_ns - start_ns) / 1e6


def measure(
    model_path: str,
    threads: int,
    warmup: int,
    runs: int,
    batch: int,
    seed: int,
    min_secs: float = 0.0,
    warmup_min_secs: float = 0.0,
) -> dict[str, Any]:
    """Load the model, make at least `warmup` runs (the first inference included) lasting at least
    `warmup_min_secs`, then time at least `runs` runs lasting at least `min_secs`."""
    interpreter_class, runtime = load_interpreter_class()
    start = time.perf_counter_ns()
    interpreter = interpreter_class(model_path=model_path, num_threads=threads)
    inputs = interpreter.get_input_details()
    if batch != 1:
        for detail in inputs:
            interpreter.resize_tensor_input(detail["index"], [batch, *detail["shape"][1:]])
    interpreter.allocate_tensors()
    init_ms = _milliseconds(start, time.perf_counter_ns())
    rng = np.random.default_rng(seed)
    for detail in interpreter.get_input_details():
        interpreter.set_tensor(detail["index"], _random_input(detail, rng))
    start = time.perf_counter_ns()
    interpreter.invoke()
    first_ms = _milliseconds(start, time.perf_counter_ns())
    warmup_done, warmup_ms = 1, first_ms
    while warmup_done < warmup or warmup_ms < warmup_min_secs * 1000:
        start = time.perf_counter_ns()
        interpreter.invoke()
        warmup_ms += _milliseconds(start, time.perf_counter_ns())
        warmup_done += 1
    times_ms: list[float] = []
    timed_ms = 0.0
    gc.disable()
    try:
        while len(times_ms) < runs or timed_ms < min_secs * 1000:
            start = time.perf_counter_ns()
            interpreter.invoke()
            times_ms.append(_milliseconds(start, time.perf_counter_ns()))
            timed_ms += times_ms[-1]
    finally:
        gc.enable()
    return {"runtime": runtime, "init_ms": init_ms, "first_ms": first_ms, "times_ms": times_ms}


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point: print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", nargs="?", help="TFLite file")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=10, help="untimed runs, the first included")
    parser.add_argument("--runs", type=int, default=100, help="timed runs")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--min-secs", type=float, default=0.0, help="least timed seconds")
    parser.add_argument("--warmup-min-secs", type=float, default=0.0, help="least warm-up seconds")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random input")
    parser.add_argument("--version", action="store_true", help="print the runtime and exit")
    options = parser.parse_args(argv)
    if options.version:
        result: dict[str, Any] = {"runtime": load_interpreter_class()[1]}
    elif options.model is None:
        parser.error("a model file is required")
    else:
        result = measure(
            options.model,
            options.threads,
            options.warmup,
            options.runs,
            options.batch,
            options.seed,
            options.min_secs,
            options.warmup_min_secs,
        )
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
