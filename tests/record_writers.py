"""Records written by hand for the tests of the results table and the site: an artifact of a
model, a measurement of an artifact on a device, and an untrained network of a named
architecture measured on a device."""

from __future__ import annotations

from thesislab.models.names import parse_name
from thesislab.models.registry import resolve
from thesislab.records import (
    ArtifactRecord,
    DeviceInfo,
    LatencyStats,
    MeasurementRecord,
    ModelRecord,
    Protocol,
    Quantization,
)
from thesislab.store import Store


def deploy(
    store: Store,
    model: ModelRecord,
    quantization: Quantization = "fp32",
    accuracy: float | None = None,
) -> str:
    """Write `model` and an artifact of it (with `accuracy`); the artifact's id."""
    model_id = store.write(model)
    return store.write(
        ArtifactRecord(model_id=model_id, quantization=quantization, accuracy=accuracy)
    )


def measure(
    store: Store,
    artifact_id: str,
    device: str,
    ms: float,
    predicted_latency_ms: float | None = None,
) -> str:
    """Write a measurement of `artifact_id` on `device` whose latency is `ms` (its median; the
    other statistics around it), with the latency a lookup table predicted, if any."""
    return store.write(
        MeasurementRecord(
            artifact_id=artifact_id,
            device=DeviceInfo(name=device),
            runtime="ai-edge-litert 2.3.0 (python)",
            protocol=Protocol(name="quick", threads=1, warmup_runs=5, runs=50, passes=2),
            latency=LatencyStats(
                mean_ms=ms * 1.01,
                median_ms=ms,
                p5_ms=ms * 0.98,
                p95_ms=ms * 1.05,
                std_ms=ms * 0.02,
                init_ms=ms * 20,
                first_ms=ms * 1.3,
            ),
            predicted_latency_ms=predicted_latency_ms,
        )
    )


def untrained(
    store: Store,
    architecture: str,
    device: str,
    ms: float,
    *,
    quantization: Quantization = "fp32",
    name: str | None = None,
    artifact_accuracy: float | None = None,
) -> str:
    """Write an untrained network of the named architecture (resolved, as the untrained stage
    records it; the record named `name`, by default the architecture's name) with an artifact
    (of `artifact_accuracy`, which the table must ignore) measured on `device` at `ms`; the
    measurement's id."""
    spec = resolve(parse_name(architecture).spec)
    model = ModelRecord(name=name or architecture, architecture=spec, seed=0, weights="untrained")
    return measure(store, deploy(store, model, quantization, artifact_accuracy), device, ms)
