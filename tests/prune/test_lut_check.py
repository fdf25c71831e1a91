"""`lut check`: random pruned networks recorded untrained, converted, measured, each with its
table's prediction beside the measurement, and found by the results table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.prune.conftest import FAKE_DEVICE, TINY_WRN, write_fake_table
from thesislab.bench.devices import DeviceSpec
from thesislab.bench.protocol import resolve_protocol
from thesislab.latency.check import check_table
from thesislab.latency.table import require_table
from thesislab.models.names import parse_name
from thesislab.models.structure import structure_of
from thesislab.records import UNTRAINED, MeasurementRecord, ModelRecord, Reference
from thesislab.results.table import table
from thesislab.store import Store


def test_random_widths_stay_between_one_channel_and_the_full_width():
    structure = structure_of(parse_name(TINY_WRN).spec)
    drawn = [structure.random_widths(np.random.default_rng(seed)) for seed in range(50)]
    assert all(1 <= width <= full for widths in drawn for width, full in zip(
        widths, structure.default_widths, strict=True))  # fmt: skip
    assert len({tuple(widths) for widths in drawn}) > 40
    assert structure.random_widths(np.random.default_rng(3)) == drawn[3]


@pytest.mark.slow
def test_check_records_each_network_with_its_prediction(tmp_path: Path):
    write_fake_table(tmp_path, TINY_WRN)
    spec = parse_name(TINY_WRN).spec
    device = DeviceSpec(name=FAKE_DEVICE)  # measured on this machine, under the table's name

    check = check_table(tmp_path, spec, device, networks=3, seed=7)

    outcome = check.outcome
    assert not outcome.failures and len(check.networks) == 3 and len(outcome.measurements) == 4
    structure = structure_of(spec)
    fake = require_table(tmp_path, spec, FAKE_DEVICE)
    # measured under the table's own protocol: the same statistic as its entries
    assert {record.protocol for _, record in outcome.measurements} == {fake.protocol}
    assert fake.protocol.statistic == "p5" and fake.protocol.reference and check.relative
    assert check.unpruned is not None and check.unpruned.widths == structure.default_widths
    by_artifact = {record.artifact_id: record for _, record in outcome.measurements}
    [unpruned_id] = [
        key for key, record in by_artifact.items() if record.predicted_latency_ms == fake.network_ms
    ]
    # every network timed against the unpruned one, expressed at the table's latency of it
    assert {record.reference for record in by_artifact.values()} == {
        Reference(artifact_id=unpruned_id, latency_ms=fake.network_ms)
    }
    assert check.speed == by_artifact[unpruned_id].latency.p5_ms / fake.network_ms
    store = Store(tmp_path)
    for prediction in [check.unpruned, *check.networks]:
        network = spec.model_copy(update={"widths": prediction.widths})
        assert prediction.predicted_latency_ms == fake.predict(structure, structure.check(network))
        [record] = [
            record
            for record in by_artifact.values()
            if record.predicted_latency_ms == prediction.predicted_latency_ms
        ]
        ratio = record.latency.reference_ratio
        assert ratio is not None and prediction.measured_ms == record.latency_ms
        assert record.latency_ms == pytest.approx(ratio * fake.network_ms)
        assert prediction.relative_error(2.0) == pytest.approx(
            abs(2 * prediction.predicted_latency_ms - prediction.measured_ms)
            / prediction.measured_ms
        )
    models = store.of_kind(ModelRecord).values()
    assert {model.weights for model in models} == {UNTRAINED}
    assert sorted(model.name for model in models) == [
        *(f"res_d10_w16_random{number}_seed7" for number in (1, 2, 3)),
        "res_d10_w16_unpruned_seed7",
    ]
    rows = table([tmp_path])
    assert list(rows["stage"]) == [UNTRAINED] * 4 and rows["accuracy"].isna().all()
    assert rows["predicted_latency_ms"].notna().all()
    # the same seed: the same networks, already recorded (measured again, here by their median)
    protocol = resolve_protocol("quick", runs=3, warmup_runs=1, passes=1)
    again = check_table(tmp_path, spec, device, protocol, networks=3, seed=7)
    assert {record.protocol.statistic for _, record in again.outcome.measurements} == {"median"}
    assert not again.relative
    assert all(
        record.reference is None and record.latency_ms == record.latency.median_ms
        for _, record in again.outcome.measurements
    )
    assert [p.widths for p in again.networks] == [p.widths for p in check.networks]
    assert len(store.of_kind(ModelRecord)) == 4 and len(store.of_kind(MeasurementRecord)) == 8
