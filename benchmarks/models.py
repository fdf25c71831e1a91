"""The model zoo beside the thesis: size, MACs and LiteRT latency of every thesis architecture.

For every distinct architecture named in the thesis's `architectures.csv`: build it, count its
parameters and MACs, convert it to TFLite fp32 and full int8 (int8 input and output, random
calibration images: latency does not depend on the weights' values), and time one-image inference
with LiteRT on a fixed number of threads (warm-up, then the median of `--runs` runs, with p90 and
coefficient of variation), beside the Raspberry Pi 3B latency the thesis measured. Prints one line
per architecture and the Spearman rank correlation of the Pi latency with each local figure.

Run: .venv/bin/python benchmarks/models.py [ARCHITECTURES_CSV] [--runs 200] [--output FILE.csv]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import statistics
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pandas as pd
import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter

from thesislab.models.counting import count
from thesislab.models.names import format_name, parse_name
from thesislab.models.registry import build_model, resolve

DEFAULT_CSV = Path(__file__).resolve().parents[1] / ".." / "shared" / "seed" / "architectures.csv"
WARMUP_RUNS = 20
CALIBRATION_IMAGES = 32


def convert(model, int8: bool) -> bytes:
    """TFLite flatbuffer of `model`: fp32, or full int8 calibrated on random images."""
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if int8:
        rng = np.random.default_rng(0)
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = lambda: (
            [rng.random((1, 32, 32, 3), dtype=np.float32)] for _ in range(CALIBRATION_IMAGES)
        )
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    with contextlib.redirect_stdout(io.StringIO()):
        return converter.convert()


def latency_ms(content: bytes, runs: int, threads: int) -> dict[str, float]:
    """Median, p90 and coefficient of variation of one-image inference time, in milliseconds."""
    interpreter = Interpreter(model_content=content, num_threads=threads)
    interpreter.allocate_tensors()
    source = interpreter.get_input_details()[0]
    rng = np.random.default_rng(0)
    if source["dtype"] == np.int8:
        image = rng.integers(-128, 128, source["shape"], dtype=np.int8)
    else:
        image = rng.random(source["shape"], dtype=np.float32)
    interpreter.set_tensor(source["index"], image)
    for _ in range(WARMUP_RUNS):
        interpreter.invoke()
    times = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        interpreter.invoke()
        times.append((time.perf_counter_ns() - start) / 1e6)
    return {
        "median": statistics.median(times),
        "p90": float(np.percentile(times, 90)),
        "cv": statistics.stdev(times) / statistics.fmean(times),
    }


def spearman(first: pd.Series, second: pd.Series) -> float:
    """Spearman rank correlation (Pearson correlation of average ranks)."""
    return float(np.corrcoef(first.rank(), second.rank())[0, 1])


def measure(csv_path: Path, runs: int, threads: int) -> pd.DataFrame:
    """One row per distinct architecture of the CSV, with its counts and latencies."""
    thesis = pd.read_csv(csv_path)
    rows: dict[str, dict[str, object]] = {}
    names: dict[str, list[str]] = {}
    for file_name, pi_seconds in zip(thesis["file_name"], thesis["time"], strict=True):
        spec = resolve(parse_name(file_name).spec)
        key = spec.model_dump_json()
        names.setdefault(key, []).append(file_name)
        if key in rows:
            continue
        model = build_model(spec)
        counts = count(model)
        fp32 = latency_ms(convert(model, int8=False), runs, threads)
        int8 = latency_ms(convert(model, int8=True), runs, threads)
        rows[key] = {
            "name": format_name(spec),
            "family": spec.family,
            "params": counts.params,
            "mega_macs": round(counts.macs / 1e6, 2),
            "fp32_ms": round(fp32["median"], 3),
            "fp32_p90_ms": round(fp32["p90"], 3),
            "fp32_cv": round(fp32["cv"], 3),
            "int8_ms": round(int8["median"], 3),
            "int8_p90_ms": round(int8["p90"], 3),
            "int8_cv": round(int8["cv"], 3),
            "pi3b_ms": round(pi_seconds * 1000, 1) if pd.notna(pi_seconds) else None,
        }
        print(
            f"{rows[key]['name']:36s} {counts.params:>10,} {counts.macs / 1e6:8.1f} M"
            f"  fp32 {fp32['median']:7.2f} ms  int8 {int8['median']:7.2f} ms"
            f"  Pi {rows[key]['pi3b_ms']} ms",
            flush=True,
        )
    return pd.DataFrame(
        [{**row, "thesis_names": " ".join(names[key])} for key, row in rows.items()]
    )


def summary(results: pd.DataFrame) -> str:
    """Spearman correlations with the Pi latency, and the int8 speed-up."""
    timed = results.dropna(subset=["pi3b_ms"])
    lines = [f"architectures: {len(results)} ({len(timed)} with a thesis Pi 3B latency)"]
    for column in ("mega_macs", "params", "fp32_ms", "int8_ms"):
        lines.append(
            f"Spearman(Pi 3B latency, {column}) = {spearman(timed.pi3b_ms, timed[column]):.3f}"
        )
    speedup = results.fp32_ms / results.int8_ms
    lines.append(
        f"int8 speed-up over fp32: median {speedup.median():.2f}x "
        f"(min {speedup.min():.2f}x, max {speedup.max():.2f}x)"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", nargs="?", type=Path, default=DEFAULT_CSV, help="architectures.csv")
    parser.add_argument("--runs", type=int, default=200, help="timed runs per model (200)")
    parser.add_argument("--threads", type=int, default=1, help="LiteRT threads (1)")
    parser.add_argument("--output", type=Path, help="write the per-architecture table as CSV")
    args = parser.parse_args()
    machine = platform.processor() or platform.machine()
    print(f"{machine}, {os.cpu_count()} CPUs, {args.threads} thread(s), median of {args.runs} runs")
    results = measure(args.csv, args.runs, args.threads)
    if args.output:
        results.to_csv(args.output, index=False)
    print(summary(results))


if __name__ == "__main__":
    main()
