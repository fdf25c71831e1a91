"""Measure artifacts on a device under a protocol and write one `MeasurementRecord` each.

The device is checked first (its description goes into every record), the models are copied to
it (once: identical files are reused), then the protocol's shuffled passes run. A protocol with a
reference times every model against a reference network, whose file the caller gives. A model's
record is written as soon as its last pass is done, so a run that ends early (a lost link,
Ctrl-C) keeps the models it finished and leaves none half-measured: a model with only some of its
passes is measured again whole, all its passes, by the next run (`recorded_measurements` tells
which are done). A model that the runtime refuses is reported with the runtime's reason; the
others are measured.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from thesislab.bench.check import DeviceFacts, check_device
from thesislab.bench.devices import DeviceSpec
from thesislab.bench.hosts import during, open_host
from thesislab.bench.protocol import (
    PASS_TOLERANCE,
    CallResult,
    Timings,
    pass_spread,
    run_schedule,
)
from thesislab.bench.runtimes import runtime_for
from thesislab.errors import ThesislabError
from thesislab.records import (
    ArtifactRecord,
    DeviceInfo,
    LatencyStats,
    MeasurementRecord,
    Protocol,
    Reference,
    record_id,
)
from thesislab.store import Store

DEFAULT_CALL_TIMEOUT_S = 600.0


@dataclass(frozen=True)
class Artifact:
    """An artifact's record id and its file on this machine."""

    id: str
    path: Path


@dataclass
class BenchOutcome:
    """The measurements written, (id, record) each, the artifacts that failed (id -> reason),
    and what looked wrong."""

    measurements: list[tuple[str, MeasurementRecord]] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TimedFiles:
    """What one measuring session found: the device, and each file's timings."""

    facts: DeviceFacts
    timings: Timings[str]


def time_files(
    files: Mapping[str, Path],
    device: DeviceSpec,
    protocol: Protocol,
    *,
    call_timeout_s: float = DEFAULT_CALL_TIMEOUT_S,
    seed: int | None = None,
    on_call: Callable[[str], None] | None = None,
    on_measured: Callable[[DeviceFacts, str, LatencyStats], None] | None = None,
    reference: Path | None = None,
) -> TimedFiles:
    """Check the device, copy the files (key -> local path) to it, and time them in the
    protocol's shuffled passes (against `reference`, which a protocol with a reference needs).

    `on_measured` gets each file's final statistics as soon as they are known. A lost link
    raises `LinkLostError` naming the step: the device check, an upload or a file's measurement.
    """
    if protocol.reference and reference is None:
        raise ThesislabError(
            f"protocol {protocol.name or 'custom'} times each model against a reference network: "
            "expected a reference file, received none"
        )
    runtime = runtime_for(device)
    host = open_host(device)
    try:
        with during("the device check"):
            facts = check_device(host, runtime)
        on_host = {key: host.put(path).path for key, path in files.items()}
        paired = host.put(reference).path if protocol.reference and reference else None

        def call(key: str) -> CallResult:
            with during(f"the measurement of {files[key].name}"):
                return runtime.call(host, on_host[key], protocol, call_timeout_s, paired)

        def measured(key: str, stats: LatencyStats) -> None:
            if on_measured is not None:
                on_measured(facts, key, stats)

        timings = run_schedule(
            list(files),
            protocol,
            call,
            rng=random.Random(seed),
            on_call=on_call,
            on_measured=measured,
        )
    finally:
        host.close()
    return TimedFiles(facts, timings)


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


def _created(record: MeasurementRecord) -> datetime:
    return record.created_at or datetime.min.replace(tzinfo=UTC)


def recorded_measurements(
    store: Store,
    artifact_ids: Sequence[str],
    device: str,
    protocol: Protocol,
    *,
    since: datetime | None = None,
) -> dict[str, tuple[str, MeasurementRecord]]:
    """The latest measurement of each artifact (full ids) recorded on `device` under `protocol`,
    created at `since` or later if given: artifact id -> (measurement id, record). Invalid record
    files are left out (`thesislab results check` names them)."""
    wanted = set(artifact_ids)
    found: dict[str, tuple[str, MeasurementRecord]] = {}
    for identifier, record in store.of_kind(MeasurementRecord, invalid=[]).items():
        if (
            record.artifact_id in wanted
            and record.device.name == device
            and record.protocol == protocol
            and (since is None or _created(record) >= since)
        ):
            latest = found.get(record.artifact_id)
            if latest is None or _created(record) > _created(latest[1]):
                found[record.artifact_id] = (identifier, record)
    return found


def bench(
    store: Store,
    artifact_ids: Sequence[str],
    device: DeviceSpec,
    protocol: Protocol,
    *,
    call_timeout_s: float = DEFAULT_CALL_TIMEOUT_S,
    seed: int | None = None,
    on_call: Callable[[str], None] | None = None,
    predicted_latency_ms: Mapping[str, float] | None = None,
    reference: tuple[str, float] | None = None,
) -> BenchOutcome:
    """Measure every artifact on `device`; `on_call` gets the artifact id after each call.

    Each artifact's record is written as soon as its last pass is done: a lost link
    (`LinkLostError`) or Ctrl-C leaves the finished ones recorded. An artifact the runtime
    refuses is left out, with its reason in `failures`; the others are measured.
    `predicted_latency_ms` (artifact id -> latency a lookup table predicts for it on this device)
    is recorded beside the measured latency. `reference` (artifact id, its latency in ms) is the
    network a protocol with a reference times every artifact against."""
    artifacts = {artifact.id: artifact.path for artifact in resolve_artifacts(store, artifact_ids)}
    against, reference_file = None, None
    if protocol.reference and reference is not None:
        reference_id, reference_ms = reference
        against = Reference(artifact_id=reference_id, latency_ms=reference_ms)
        reference_file = resolve_artifacts(store, [reference_id])[0].path
    outcome = BenchOutcome()

    def record(facts: DeviceFacts, key: str, stats: LatencyStats) -> None:
        measurement = MeasurementRecord(
            artifact_id=key,
            device=DeviceInfo(name=device.name, description=facts.describe() or None),
            runtime=facts.runtime,
            protocol=protocol,
            latency=stats,
            predicted_latency_ms=(predicted_latency_ms or {}).get(key),
            reference=against,
            created_at=datetime.now(UTC),
        )
        outcome.measurements.append((store.write(measurement), measurement))

    timed = time_files(
        artifacts,
        device,
        protocol,
        call_timeout_s=call_timeout_s,
        seed=seed,
        on_call=on_call,
        on_measured=record,
        reference=reference_file,
    )
    order = list(artifacts)
    outcome.measurements.sort(key=lambda measured: order.index(measured[1].artifact_id))
    outcome.failures = dict(timed.timings.failures)
    outcome.warnings = timed.facts.warnings()
    for _, measurement in outcome.measurements:
        spread = pass_spread(measurement.latency)
        if spread > PASS_TOLERANCE and protocol.statistic == "median":
            outcome.warnings.append(
                f"artifact {measurement.artifact_id}: passes disagree by {spread:.1%} (more than "
                f"{PASS_TOLERANCE:.0%}) after "
                f"{len(measurement.latency.set_aside_pass_means_ms) + 1} attempt(s): the device "
                "was probably busy"
            )
    return outcome
