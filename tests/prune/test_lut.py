"""A latency lookup table measured on this machine predicts the latency of pruned networks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.bench.sshd import running_sshd
from tests.prune.conftest import TINY_WRN
from thesislab.bench.devices import LOCAL
from thesislab.bench.protocol import resolve_protocol
from thesislab.deploy.convert import Variant, convert
from thesislab.models.names import parse_name
from thesislab.prune.lut import build_table, measure_files, predict_latency_ms, read_table
from thesislab.train.network import build_network
from thesislab.train.recipe import Recipe

pytestmark = pytest.mark.slow

TOLERANCE = 0.15
PRUNED = ([8, 16, 32], [4, 32, 12], [0, 20, 64])
"""Pruned WRN-10-1 widths: halved, uneven, and with the first block removed."""


def test_table_predicts_pruned_networks_within_tolerance(tmp_path: Path) -> None:
    spec = parse_name(TINY_WRN).spec
    # A robust protocol on a shared machine: one thread, warm-up, three shuffled passes, medians.
    protocol = resolve_protocol("quick", runs=30, warmup_runs=5, passes=3)

    path, table = build_table(spec, LOCAL, protocol, tmp_path, points=3)

    assert read_table(path) == table
    assert json.loads(path.read_text())["device"] == "local"
    files = {}
    for widths in PRUNED:
        network = build_network(spec.model_copy(update={"widths": widths}), Recipe(), False)
        files[str(widths)] = tmp_path / f"{'-'.join(map(str, widths))}.tflite"
        files[str(widths)].write_bytes(convert(network, Variant("fp32")))
    measured = measure_files(files, LOCAL, protocol, None).medians
    for widths in PRUNED:
        predicted = predict_latency_ms(
            tmp_path, spec.model_copy(update={"widths": widths}), "local"
        )
        assert predicted is not None
        error = predicted / measured[str(widths)] - 1
        assert abs(error) < TOLERANCE, (
            f"{widths}: predicted {predicted:.4f} ms, measured {measured[str(widths)]:.4f} ms"
        )


@pytest.mark.ssh
def test_table_over_ssh(tmp_path: Path) -> None:
    spec = parse_name(TINY_WRN).spec
    protocol = resolve_protocol("quick", runs=5, warmup_runs=1, passes=1)
    with running_sshd(tmp_path / "sshd") as server:
        device = server.spec(tmp_path)
        _, table = build_table(spec, device, protocol, tmp_path / "results", points=2)

    assert table.device == "sshtest" and table.runtime.startswith("ai-edge-litert")
    assert table.device_description
    unpruned = predict_latency_ms(tmp_path / "results", spec, "sshtest")
    assert unpruned == pytest.approx(table.network_ms)  # the calibration's definition
    halved = spec.model_copy(update={"widths": [8, 16, 32]})
    assert 0 < predict_latency_ms(tmp_path / "results", halved, "sshtest") < unpruned
