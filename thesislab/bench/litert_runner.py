"""Time one TFLite model with the LiteRT Python interpreter and print the figures as JSON.

Self-contained (standard library and NumPy, plus whichever interpreter package is installed:
`ai-edge-litert`, `tflite-runtime` or TensorFlow), so that it can be uploaded next to a model and
run on a device that has no thesislab::

    python3 litert_runner.py MODEL.tflite --threads 1 --warmup 10 --runs 100 --min-secs 1
    python3 litert_runner.py MODEL.tflite --reference NETWORK.tflite --runs 25
    python3 -m thesislab.bench.litert_runner --version

One line of JSON on stdout: `runtime`, `init_ms` (interpreter creation and tensor allocation),
`first_ms` (the first inference, which is the first of the warm-up runs, as in `benchmark_model`),
`times_ms` (each timed run, after the warm-up runs). As `benchmark_model` does, the warm-up and
the timed runs each continue until both their count and their least duration are reached. With a
reference model, every timed run of the model is followed by one of the reference, whose times
are `reference_times_ms`: a run and the reference's run after it meet the machine in the same
state, so their ratio holds where the machine's speed does not. Each of those timed runs follows
an untimed run of the same model, which brings its data back into the caches.
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


def _loaded(
    interpreter_class: Any, model_path: str, threads: int, batch: int, rng: np.random.Generator
) -> Any:
    """An interpreter of the model with its tensors allocated and random inputs set."""
    interpreter = interpreter_class(model_path=model_path, num_threads=threads)
    if batch != 1:
        for detail in interpreter.get_input_details():
            interpreter.resize_tensor_input(detail["index"], [batch, *detail["shape"][1:]])
    interpreter.allocate_tensors()
    for detail in interpreter.get_input_details():
        interpreter.set_tensor(detail["index"], _random_input(detail, rng))
    return interpreter


def _timed_ms(interpreter: Any) -> float:
    start = time.perf_counter_ns()
    interpreter.invoke()
    return _milliseconds(start, time.perf_counter_ns())


def measure(
    model_path: str,
    threads: int,
    warmup: int,
    runs: int,
    batch: int,
    seed: int,
    min_secs: float = 0.0,
    warmup_min_secs: float = 0.0,
    reference_path: str | None = None,
) -> dict[str, Any]:
    """Load the model, make at least `warmup` runs (the first inference included) lasting at least
    `warmup_min_secs`, then time at least `runs` runs lasting at least `min_secs`; with a
    reference model, each run is followed by a run of the reference."""
    interpreter_class, runtime = load_interpreter_class()
    rng = np.random.default_rng(seed)
    start = time.perf_counter_ns()
    interpreter = _loaded(interpreter_class, model_path, threads, batch, rng)
    init_ms = _milliseconds(start, time.perf_counter_ns())
    reference = (
        None
        if reference_path is None
        else _loaded(interpreter_class, reference_path, threads, batch, rng)
    )

    def paired_ms(model: Any) -> float:
        """A timed run; after the other model's run, an untimed one first, so that the timed run
        finds its data in the caches as it does without a reference."""
        if reference is not None:
            model.invoke()
        return _timed_ms(model)

    first_ms = _timed_ms(interpreter)
    warmup_done, warmup_ms = 1, first_ms
    while warmup_done < warmup or warmup_ms < warmup_min_secs * 1000:
        if reference is not None:
            reference.invoke()
        warmup_ms += _timed_ms(interpreter)
        warmup_done += 1
    times_ms: list[float] = []
    reference_times_ms: list[float] = []
    timed_ms = 0.0
    gc.disable()
    try:
        while len(times_ms) < runs or timed_ms < min_secs * 1000:
            times_ms.append(paired_ms(interpreter))
            timed_ms += times_ms[-1]
            if reference is not None:
                reference_times_ms.append(paired_ms(reference))
    finally:
        gc.enable()
    result = {"runtime": runtime, "init_ms": init_ms, "first_ms": first_ms, "times_ms": times_ms}
    if reference is not None:
        result["reference_times_ms"] = reference_times_ms
    return result


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
    parser.add_argument("--reference", help="TFLite file run after each run of the model")
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
            options.reference,
        )
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
