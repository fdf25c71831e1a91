"""Latency lookup tables measured on this machine and over SSH: their grids, calibration and
predictions (the prediction error against measured latencies is a figure of the benchmark)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.bench.sshd import running_sshd
from tests.prune.conftest import TINY_WRN
from thesislab.bench.devices import LOCAL
from thesislab.bench.protocol import resolve_protocol
from thesislab.latency.build import CALIBRATION_SEED, build_table, plan_entries
from thesislab.latency.table import other_values, predict_latency_ms, read_table
from thesislab.models.names import parse_name
from thesislab.models.structure import LayerInfo, structure_of

pytestmark = pytest.mark.slow

PRUNED = ([8, 16, 32], [4, 32, 12], [0, 20, 64])
"""Pruned WRN-10-1 widths: halved, uneven, and with the first block removed."""


def fixed_cost_ms(layer: LayerInfo, inputs: int, outputs: int) -> float:
    """1 µs plus 1 ms per 10 M MACs: bilinear in the channel counts, so interpolating between
    the table's grid points is exact."""
    positions = layer.output_hw[0] * layer.output_hw[1] * layer.kernel[0] * layer.kernel[1]
    return 0.001 + positions * inputs * outputs / layer.groups / 1e7


def test_table_is_built_calibrated_and_predicts_exactly_from_its_entries(tmp_path: Path) -> None:
    """What a measured table must satisfy whatever the load: its grids, the calibration, and, with
    its entries replaced by fixed costs, exact predictions of pruned networks between the grid
    points. How close predictions come to measured latencies is a figure of
    `benchmarks/pruning.py`."""
    spec = parse_name(TINY_WRN).spec
    structure = structure_of(spec)
    protocol = resolve_protocol("lut", runs=3, warmup_runs=1, passes=2)

    path, table = build_table(spec, LOCAL, protocol, tmp_path, points=3, calibration_networks=2)

    assert read_table(path) == table
    assert json.loads(path.read_text())["device"] == "local"
    plans = plan_entries(structure, points=3)
    assert [(entry.inputs, entry.outputs) for entry in table.entries] == [
        (plan.inputs, plan.outputs) for plan in plans
    ]
    for entry in table.entries:
        assert np.shape(entry.raw_ms) == np.shape(entry.smoothed_ms)
        assert np.shape(entry.raw_ms) == (len(entry.inputs), len(entry.outputs))
        assert np.min(entry.raw_ms) > 0
    # The calibration: seeded random networks, and the coefficient of least squared relative
    # error over them and the unpruned network (its residuals orthogonal to the other values).
    rng = np.random.default_rng(CALIBRATION_SEED)
    assert [network.widths for network in table.calibration] == [
        structure.random_widths(rng) for _ in range(2)
    ]
    measured = [(structure.default_widths, table.network_ms)] + [
        (network.widths, network.measured_ms) for network in table.calibration
    ]
    assert all(ms > 0 for _, ms in measured)
    gradient = sum(
        other_values(structure, widths) / ms * (table.predict(structure, widths) - ms) / ms
        for widths, ms in measured
    )
    assert gradient == pytest.approx(0, abs=1e-9)

    fixed_entries = []
    for plan, entry in zip(plans, table.entries, strict=True):
        grid = [[fixed_cost_ms(plan.layer, i, o) for o in entry.outputs] for i in entry.inputs]
        fixed_entries.append(entry.model_copy(update={"raw_ms": grid, "smoothed_ms": grid}))
    fixed = table.model_copy(update={"entries": fixed_entries})
    path.write_text(fixed.model_dump_json())
    on_grid = {count for entry in fixed.entries for count in entry.inputs + entry.outputs}
    assert {count for widths in PRUNED for count in widths} - on_grid  # interpolated widths
    for widths in PRUNED:
        layers = [layer for layer in structure.present(widths) if layer.kind in ("conv", "dense")]
        expected = (
            0.001 * len(layers)
            + structure.macs(widths) / 1e7
            + table.other_ms_per_value * other_values(structure, widths)
        )
        pruned = spec.model_copy(update={"widths": widths})
        assert predict_latency_ms(tmp_path, pruned, "local") == pytest.approx(expected, rel=1e-9)


@pytest.mark.ssh
def test_table_over_ssh(tmp_path: Path) -> None:
    spec = parse_name(TINY_WRN).spec
    protocol = resolve_protocol("lut", runs=5, warmup_runs=1, passes=1)  # the reference goes too
    with running_sshd(tmp_path / "sshd") as server:
        device = server.spec(tmp_path)
        _, table = build_table(
            spec, device, protocol, tmp_path / "results", points=2, calibration_networks=0
        )

    assert table.device == "sshtest" and table.runtime.startswith("ai-edge-litert")
    assert table.device_description
    unpruned = predict_latency_ms(tmp_path / "results", spec, "sshtest")
    assert unpruned == pytest.approx(table.network_ms)  # calibrated on the unpruned network alone
    halved = spec.model_copy(update={"widths": [8, 16, 32]})
    assert 0 < predict_latency_ms(tmp_path / "results", halved, "sshtest") < unpruned
