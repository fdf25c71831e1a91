"""Lookup tables as the thesis built them (``variant="thesis2019"``): every channel pair, the
pooled dense entry, the mean of 11 runs, neither smoothed nor calibrated."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from thesislab.bench.devices import LOCAL
from thesislab.latency import build as lut
from thesislab.latency.build import (
    THESIS_PROTOCOL,
    build_table,
    layer_model,
    measure_files,
    plan_entries,
)
from thesislab.latency.table import predict_latency_ms
from thesislab.models.spec import ArchSpec
from thesislab.models.structure import structure_of


def _wrn(width: int, **params: object) -> ArchSpec:
    return ArchSpec(
        family="wideresnet", params={"depth": 10, "width": width, "block": "postact", **params}
    )


def test_every_channel_pair_of_every_prunable_axis_is_an_entry():
    structure = structure_of(_wrn(2, all_prunable=True))
    plans = plan_entries(structure, None, "thesis2019")
    for plan in plans:
        for axis, channel_class in ((plan.outputs, plan.layer.output), (plan.inputs, None)):
            if channel_class is None:
                channel_class = plan.layer.inputs[0]
            if channel_class in structure.group_of_class:
                largest = structure.groups[structure.group_of_class[channel_class]].default
                assert axis == list(range(1, largest + 1))
            else:
                assert axis == [structure.fixed[channel_class]]
    stem = next(plan for plan in plans if plan.layer.name == "stem_conv")
    assert (stem.inputs, stem.outputs) == ([3], list(range(1, 17)))
    pairs = sum(len(plan.inputs) * len(plan.outputs) for plan in plans)
    assert pairs == 16 + 2 * 16 + 2 * 2 + 16 * 2 + 2 * 4 + 4 * 4 + 2 * 4 + 4 * 8 + 8 * 8 + 4 * 8 + 8


def test_the_dense_entry_pools_the_last_map_first():
    structure = structure_of(_wrn(2))
    thesis = {plan.layer.kind: plan for plan in plan_entries(structure, None, "thesis2019")}
    ours = {plan.layer.kind: plan for plan in plan_entries(structure, None)}
    assert thesis["dense"].pool_hw == (8, 8) and ours["dense"].pool_hw is None
    assert thesis["conv"].pool_hw is None

    model = layer_model(thesis["dense"].layer, 8, 10, thesis["dense"].pool_hw)
    assert [type(layer).__name__ for layer in model.layers] == [
        "InputLayer",
        "AveragePooling2D",
        "Flatten",
        "Dense",
    ]
    assert model.input_shape == (None, 8, 8, 8) and model.output_shape == (None, 10)
    conv = layer_model(thesis["conv"].layer, 3, 4)
    assert [type(layer).__name__ for layer in conv.layers][1:] == [
        "Conv2D",
        "BatchNormalization",
        "ReLU",
    ]


def test_the_thesis_protocol_is_one_call_of_11_runs_without_least_durations():
    assert (THESIS_PROTOCOL.runs, THESIS_PROTOCOL.passes) == (11, 1)
    assert THESIS_PROTOCOL.min_secs == THESIS_PROTOCOL.warmup_min_secs == 0.0


@pytest.mark.slow
def test_a_thesis_table_is_the_raw_mean_of_every_pair_summed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    measured = []

    def keep(*args: Any, **kwargs: Any) -> Any:
        measured.append(measure_files(*args, **kwargs))
        return measured[-1]

    monkeypatch.setattr(lut, "measure_files", keep)
    spec = _wrn(2)
    protocol = THESIS_PROTOCOL.model_copy(update={"runs": 3})
    _, table = build_table(
        spec, LOCAL, protocol, tmp_path, points=3, sigma=2.0, variant="thesis2019"
    )

    assert (table.variant, table.points, table.sigma, table.other_ms_per_value) == (
        "thesis2019",
        None,
        0.0,
        0.0,
    )
    structure = structure_of(spec)
    plans = plan_entries(structure, None, "thesis2019")
    assert [(entry.inputs, entry.outputs) for entry in table.entries] == [
        (plan.inputs, plan.outputs) for plan in plans
    ]
    means = measured[0].means
    for number, entry in enumerate(table.entries):
        assert entry.raw_ms == entry.smoothed_ms
        assert np.min(entry.raw_ms) > 0
        for i, cin in enumerate(entry.inputs):
            for o, cout in enumerate(entry.outputs):
                assert entry.raw_ms[i][o] == means[f"{number}-{cin}-{cout}"]
    assert table.network_ms == means["network"]
    counts = structure.counts(structure.default_widths)
    total = sum(
        table.layer_ms(layer, counts[layer.inputs[0]], counts[layer.output]) or 0.0
        for layer in structure.present(structure.default_widths)
        if layer.kind in ("conv", "dense")
    )
    assert predict_latency_ms(tmp_path, spec, "local") == pytest.approx(total)
