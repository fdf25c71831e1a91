"""How well a lookup table predicts: random pruned networks of the table's architecture, measured
on its device with the table's prediction recorded beside each measurement.

Each network keeps every prunable channel group at a width drawn uniformly between one channel
and its full width, from a seeded generator (the same seed, the same networks). It is recorded as
an untrained model (latency does not depend on the weights, see `deploy/untrained.py`), converted
to fp32 and measured; its `MeasurementRecord.predicted_latency_ms` is the table's prediction, so
the results table, the site's lookup-tables page and `thesislab lut check` read one set of
records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from thesislab.bench.devices import DeviceSpec
from thesislab.bench.measure import BenchOutcome, bench
from thesislab.models.spec import ArchSpec
from thesislab.prune.lut import require_table
from thesislab.prune.structure import Structure, structure_of
from thesislab.records import Protocol
from thesislab.store import Store


def random_widths(structure: Structure, rng: np.random.Generator) -> list[int]:
    """Each prunable channel group at a uniformly random width in [1, full width]."""
    return [int(rng.integers(1, group.default + 1)) for group in structure.groups]


@dataclass(frozen=True)
class Prediction:
    """A pruned network's widths, predicted and measured latency (ms)."""

    widths: list[int]
    predicted_ms: float
    measured_ms: float

    @property
    def relative_error(self) -> float:
        """|predicted - measured| / measured."""
        return abs(self.predicted_ms - self.measured_ms) / self.measured_ms


def check_table(
    results: Path,
    spec: ArchSpec,
    device: DeviceSpec,
    protocol: Protocol,
    *,
    networks: int,
    seed: int = 0,
    on_step: Callable[[str], None] | None = None,
) -> tuple[list[Prediction], BenchOutcome]:
    """Record, convert and measure `networks` random pruned networks of `spec` on `device`,
    each with the prediction of the device's table of `spec` (which must exist in `results`)."""
    from thesislab.deploy.sources import keras_on_tensorflow
    from thesislab.deploy.untrained import untrained_artifacts

    table = require_table(results, spec, device.name)
    structure = structure_of(spec)
    store = Store(results)
    rng = np.random.default_rng(seed)
    keras_on_tensorflow()
    predicted: dict[str, float] = {}
    widths_of: dict[str, list[int]] = {}
    for _ in range(networks):
        widths = random_widths(structure, rng)
        pruned = spec.model_copy(update={"widths": widths})
        artifact_id = untrained_artifacts(store, pruned, ["fp32"], seed=seed)["fp32"]
        predicted[artifact_id] = table.predict(structure, structure.check(pruned))
        widths_of[artifact_id] = widths
        if on_step is not None:
            on_step("convert")
    outcome = bench(
        store,
        list(predicted),
        device,
        protocol,
        seed=seed,
        predicted_ms=predicted,
        on_call=on_step and (lambda _: on_step("measure")),
    )
    found = []
    for _, record in outcome.measurements:
        key = record.artifact_id
        found.append(Prediction(widths_of[key], predicted[key], record.latency.headline_ms))
    return found, outcome
