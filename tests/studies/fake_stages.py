"""Deterministic stand-ins for the stage functions, to test planning and scheduling quickly.

They write real records to the real store, derived only from the job's parameters, so two
executors running the same plan must produce identical results directories.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from thesislab.models.spec import ArchSpec
from thesislab.records import (
    ArtifactRecord,
    DeviceInfo,
    LatencyStats,
    Lineage,
    MeasurementRecord,
    ModelRecord,
)
from thesislab.store import Store
from thesislab.studies.jobs import BenchParams, ConvertParams, Job
from thesislab.studies.ledger import JobResult


def _number(text: str) -> float:
    return int(hashlib.sha256(text.encode()).hexdigest()[:6], 16) / 0xFFFFFF


def model_stage(job: Job, inputs: list[JobResult], results_dir: Path) -> JobResult:
    parent = inputs[0].output("model_id") if inputs else None
    params = job.params
    arch = getattr(params, "arch", ArchSpec(family="wideresnet", params={"depth": 10, "width": 16}))
    record = ModelRecord(
        name=f"{getattr(params, 'name', None) or 'pruned'}-{job.stage}",
        architecture=arch,
        seed=getattr(params, "seed", None),
        accuracy=_number(job.key),
        lineage=Lineage(parent_id=parent),
    )
    identifier = Store(results_dir).write(record)
    return JobResult((identifier,), (("model_id", identifier),))


def convert_stage(job: Job, inputs: list[JobResult], results_dir: Path) -> JobResult:
    record = ArtifactRecord(
        model_id=inputs[0].output("model_id"),
        quantization=job.params_of(ConvertParams).quantization,
    )
    identifier = Store(results_dir).write(record)
    return JobResult((identifier,), (("artifact_id", identifier),))


def bench_stage(job: Job, inputs: list[JobResult], results_dir: Path) -> JobResult:
    store = Store(results_dir)
    params = job.params_of(BenchParams)
    identifiers = tuple(
        store.write(
            MeasurementRecord(
                artifact_id=converted.output("artifact_id"),
                device=DeviceInfo(name=params.device),
                runtime="fake",
                protocol=params.protocol,
                latency=LatencyStats(
                    mean_ms=1 + _number(job.key + converted.output("artifact_id"))
                ),
            )
        )
        for converted in inputs
    )
    return JobResult(identifiers, ())


FAKE_STAGES = {
    "trained": model_stage,
    "pruned": model_stage,
    "fine_tuned": model_stage,
    "retrained": model_stage,
    "convert": convert_stage,
    "bench": bench_stage,
}
