"""How well a lookup table predicts: random pruned networks of the table's architecture, measured
on its device with the table's prediction recorded beside each measurement.

Each network keeps every prunable channel group at a width drawn uniformly between one channel
and its full width, from a seeded generator (the same seed, the same networks), and is named
after the architecture, its number and the seed (`res_d40_w32_random3_seed0`). It is recorded as
an untrained model (latency does not depend on the weights, see `deploy/untrained.py`), converted
to fp32 and measured; its `MeasurementRecord.predicted_latency_ms` is the table's prediction, so
the results table, the site's lookup-tables page and `thesislab lut check` read one set of
records. Under a protocol with a reference (the `lut` preset, as tables are built), every network
is timed against the unpruned one and recorded at the table's latency of it: the check then
compares ratios, which hold where the machine's speed does not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from thesislab.bench.devices import DeviceSpec
from thesislab.bench.measure import BenchOutcome, bench
from thesislab.deploy.sources import keras_on_tensorflow
from thesislab.deploy.untrained import untrained_artifacts
from thesislab.latency.table import require_table
from thesislab.models.names import format_name
from thesislab.models.registry import resolve
from thesislab.models.spec import ArchSpec
from thesislab.models.structure import structure_of
from thesislab.records import Protocol
from thesislab.store import Store


@dataclass(frozen=True)
class Prediction:
    """A network's widths, predicted and measured latency (ms)."""

    widths: list[int]
    predicted_latency_ms: float
    measured_ms: float

    def relative_error(self, speed: float = 1.0) -> float:
        """|predicted × speed - measured| / measured."""
        return abs(self.predicted_latency_ms * speed - self.measured_ms) / self.measured_ms


@dataclass(frozen=True)
class Check:
    """The random pruned networks' predictions, and the unpruned network measured in the same
    session: its latency now over the table's (`speed`) tells how much faster or slower the
    device runs than when the table was built, which no table can know; measured against the
    unpruned network (`relative`), the networks' latencies are already at the table's speed."""

    networks: list[Prediction]
    unpruned: Prediction | None
    """None where the runtime refused it (see `outcome.failures`)."""
    outcome: BenchOutcome
    speed: float
    """1 where the unpruned network could not be measured (or the table has no latency of it)."""
    relative: bool


def check_table(
    results_dir: Path,
    spec: ArchSpec,
    device: DeviceSpec,
    protocol: Protocol | None = None,
    *,
    networks: int,
    seed: int = 0,
    on_step: Callable[[str], None] | None = None,
) -> Check:
    """Record, convert and measure the unpruned network of `spec` and `networks` random pruned
    ones on `device` in one session, each with the prediction of the device's table of `spec`
    (which must exist in `results`), under `protocol` (default: the table's own, so that the
    measured and the predicted latencies are the same statistic)."""
    table = require_table(results_dir, spec, device.name)
    structure = structure_of(spec)
    store = Store(results_dir)
    rng = np.random.default_rng(seed)
    keras_on_tensorflow()
    architecture = format_name(resolve(spec))
    named = {f"{architecture}_unpruned_seed{seed}": structure.default_widths}
    for index in range(networks):
        named[f"{architecture}_random{index + 1}_seed{seed}"] = structure.random_widths(rng)
    predicted: dict[str, float] = {}
    widths_of: dict[str, list[int]] = {}
    for name, widths in named.items():
        network = spec.model_copy(update={"widths": widths})
        artifact_id = untrained_artifacts(store, network, ["fp32"], name=name, seed=seed)["fp32"]
        predicted[artifact_id] = table.predict(structure, structure.check(network))
        widths_of[artifact_id] = widths
        if on_step is not None:
            on_step("convert")
    chosen = protocol or table.protocol
    unpruned_key = next(iter(predicted))
    outcome = bench(
        store,
        list(predicted),
        device,
        chosen,
        seed=seed,
        predicted_latency_ms=predicted,
        on_call=on_step and (lambda _: on_step("measure")),
        reference=(unpruned_key, table.network_ms),
    )
    records = {record.artifact_id: record for _, record in outcome.measurements}
    found = {
        key: Prediction(widths_of[key], predicted[key], records[key].latency_ms)
        for key in predicted
        if key in records
    }
    unpruned = records.get(unpruned_key)
    speed = (
        unpruned.latency.figure_ms(chosen.statistic) / table.network_ms
        if unpruned is not None and table.network_ms > 0
        else 1.0
    )
    return Check(
        [found[key] for key in list(predicted)[1:] if key in found],
        found.get(unpruned_key),
        outcome,
        speed,
        chosen.reference,
    )
