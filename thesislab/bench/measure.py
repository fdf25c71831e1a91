"""Measure artifacts on a device under a protocol and write one `MeasurementRecord` each.

The device is checked first (its description goes into every record), the models are copied to
it (once: identical files are reused), then the protocol's shuffled passes run. Records are
written only when every call has finished, so an interrupted run leaves nothing half-measured.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from thesislab.bench.check import check_device
from thesislab.bench.devices import DeviceSpec
from thesislab.bench.hosts import open_host
from thesislab.bench.protocol import PASS_TOLERANCE, pass_spread, run_schedule, summarize
from thesislab.bench.runtimes import runtime_for
from thesislab.errors import ThesislabError
from thesislab.records import ArtifactRecord, DeviceInfo, MeasurementRecord, Protocol, record_id
from thesislab.store import Store

DEFAULT_CALL_TIMEOUT_S = 600.0


@dataclass(frozen=True)
class Artifact:
    """An artifact's record id and its file on this machine."""

    id: str
    path: Path


@dataclass
class BenchOutcome:
    """The measurements written, (id, record) each, and what looked wrong."""

    measurements: list[tuple[str, MeasurementRecord]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def resolve_artifacts(store: Store, artifact_ids: Sequence[str]) -> list[Artifact]:
    """The artifacts (ids or unique prefixes) with existing files, in the given order."""
    artifacts = []
    for identifier in artifact_ids:
        record = store.get(identifier, ArtifactRecord)
        if record.path is None or not store.resolve(record.path).is_file():
            raise ThesislabError(
                f"artifact {identifier!r}: expected its file {record.path} under {store.root}, "
                "found none"
            )
        artifacts.append(Artifact(record_id(record), store.resolve(record.path)))
    return artifacts


def bench(
    store: Store,
    artifact_ids: Sequence[str],
    device: DeviceSpec,
    protocol: Protocol,
    *,
    call_timeout_s: float = DEFAULT_CALL_TIMEOUT_S,
    seed: int | None = None,
    on_call: Callable[[str], None] | None = None,
    predicted_ms: Mapping[str, float] | None = None,
) -> BenchOutcome:
    """Measure every artifact on `device`; `on_call` gets the artifact id after each call.

    `predicted_ms` (artifact id -> latency a lookup table predicts for it on this device) is
    recorded beside the measured latency."""
    artifacts = {artifact.id: artifact for artifact in resolve_artifacts(store, artifact_ids)}
    runtime = runtime_for(device)
    outcome = BenchOutcome()
    host = open_host(device)
    try:
        facts = check_device(host, runtime)
        outcome.warnings.extend(facts.warnings())
        on_host = {key: host.put(artifact.path).path for key, artifact in artifacts.items()}
        calls = run_schedule(
            list(artifacts),
            protocol,
            lambda key: runtime.call(host, on_host[key], protocol, call_timeout_s),
            rng=random.Random(seed),
            on_call=on_call,
        )
    finally:
        host.close()
    now = datetime.now(UTC)
    for key, results in calls.items():
        stats = summarize(results)
        spread = pass_spread(stats)
        if spread > PASS_TOLERANCE:
            outcome.warnings.append(
                f"artifact {key}: passes disagree by {spread:.1%} (more than "
                f"{PASS_TOLERANCE:.0%}): the device was probably busy"
            )
        record = MeasurementRecord(
            artifact_id=key,
            device=DeviceInfo(name=device.name, description=facts.describe() or None),
            runtime=facts.runtime,
            protocol=protocol,
            latency=stats,
            predicted_latency_ms=(predicted_ms or {}).get(key),
            created_at=now,
        )
        outcome.measurements.append((store.write(record), record))
    return outcome
