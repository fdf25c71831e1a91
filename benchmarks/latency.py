"""Latency benchmark: WRN-16-2 and MobileNetV2 (the zoo's CIFAR layouts, random weights) as fp32
and full int8 TFLite files, each measured 5 times on this machine and 5 times through an SSH
device pointing back at this machine (a private sshd on 127.0.0.1, as in the tests).

Prints, per model: the median latency of each repeat's median, the coefficient of variation
across repeats (target < 2 % on a quiet machine) and the SSH / local ratio (target within 5 %).
Run from the repository root (the private sshd comes from the test helpers)::

    .venv/bin/python -m benchmarks.latency [--repeats 5] [--runs 200] [--threads 1]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np

from tests.bench.sshd import running_sshd
from thesislab.bench.devices import LOCAL, DeviceSpec
from thesislab.bench.measure import bench
from thesislab.deploy.artifacts import DeployData, make_artifacts
from thesislab.deploy.convert import Variant
from thesislab.deploy.sources import keras_on_tensorflow
from thesislab.models.spec import ArchSpec
from thesislab.records import ModelRecord, Protocol
from thesislab.store import Store

MODELS = {
    "WRN-16-2": ArchSpec(family="wideresnet", params={"depth": 16, "width": 32}),
    "MobileNetV2": ArchSpec(family="mobilenetv2"),
}
VARIANTS = (Variant("fp32"), Variant("int8", "int8"))


def make_models(store: Store) -> dict[str, str]:
    """Random-weight networks converted to every variant: artifact id by `model variant` label."""
    keras_on_tensorflow()
    from thesislab.train.network import build_network
    from thesislab.training_recipe import Recipe

    representative = np.random.default_rng(0).uniform(0, 255, (64, 32, 32, 3))
    labels = {}
    for name, spec in MODELS.items():
        model = build_network(spec, Recipe(), mixed_precision=False)
        weights = store.weights_path(name)
        weights.parent.mkdir(parents=True, exist_ok=True)
        model.save(weights)
        record = ModelRecord(
            name=name,
            architecture=spec,
            params=model.count_params(),
            weights_path=store.relative(weights),
        )
        made = make_artifacts(
            store, store.write(record), VARIANTS, DeployData(representative=representative)
        )
        for (artifact_id, artifact), variant in zip(made, VARIANTS, strict=True):
            labels[artifact_id] = (
                f"{name} {variant.label} ({(artifact.size_bytes or 0) // 1024} KB)"
            )
    return labels


def measure(
    store: Store,
    labels: dict[str, str],
    devices: list[DeviceSpec],
    protocol: Protocol,
    repeats: int,
) -> dict[str, dict[str, list[float]]]:
    """Median of every repeat, by device name and artifact id; devices alternate in order."""
    medians: dict[str, dict[str, list[float]]] = {
        device.name: {key: [] for key in labels} for device in devices
    }
    for repeat in range(repeats):
        for device in devices if repeat % 2 == 0 else devices[::-1]:
            outcome = bench(store, list(labels), device, protocol, seed=repeat)
            for warning in outcome.warnings:
                print(f"  warning ({device.name}, repeat {repeat + 1}): {warning}", file=sys.stderr)
            for _, record in outcome.measurements:
                medians[device.name][record.artifact_id].append(record.latency_ms)
        print(f"repeat {repeat + 1}/{repeats} done", file=sys.stderr)
    return medians


def coefficient_of_variation(values: list[float]) -> float:
    """Sample standard deviation over mean."""
    return statistics.stdev(values) / statistics.fmean(values) if len(values) > 1 else 0.0


def report(labels: dict[str, str], medians: dict[str, dict[str, list[float]]]) -> None:
    """One line per artifact: local and SSH median and CV, and their ratio; then every repeat."""
    local, remote = medians[LOCAL.name], medians["ssh-loopback"]
    print(f"{'model':<34}{'local ms':>10}{'CV':>8}{'SSH ms':>10}{'CV':>8}{'SSH/local':>11}")
    for key, label in labels.items():
        local_ms, remote_ms = statistics.median(local[key]), statistics.median(remote[key])
        print(
            f"{label:<34}{local_ms:>10.3f}{coefficient_of_variation(local[key]):>8.2%}"
            f"{remote_ms:>10.3f}{coefficient_of_variation(remote[key]):>8.2%}"
            f"{remote_ms / local_ms:>11.3f}"
        )
    print("medians of each repeat, ms:")
    for key, label in labels.items():
        for device, by_artifact in medians.items():
            repeats = " ".join(f"{value:.3f}" for value in by_artifact[key])
            print(f"  {label:<34}{device:<14}{repeats}")


def main() -> None:
    """Build, convert, measure, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--runs", type=int, default=200, help="timed runs per call")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    options = parser.parse_args()
    protocol = Protocol(
        name="latency-benchmark",
        threads=options.threads,
        warmup_runs=options.warmup,
        runs=options.runs,
        passes=1,
        pause_s=0.0,
    )
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        store = Store(root / "results")
        labels = make_models(store)
        with running_sshd(root / "sshd") as server:
            loopback = server.spec(root, name="ssh-loopback", timeout_s=30.0)
            medians = measure(store, labels, [LOCAL, loopback], protocol, options.repeats)
    print(
        f"protocol: {options.threads} thread(s), {options.warmup} warm-up + {options.runs} timed "
        f"runs per call, {options.repeats} repeats; figure = median of the repeats' medians"
    )
    report(labels, medians)


if __name__ == "__main__":
    main()
