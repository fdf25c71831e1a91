"""Targets, budgets, the uniform multiplier, and lookup-table arithmetic (no measurement)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.prune.conftest import FAKE_DEVICE, TINY_WRN, write_fake_table
from thesislab.errors import ThesislabError
from thesislab.latency.build import axis_points, gaussian_smooth
from thesislab.latency.table import predict_latency_ms
from thesislab.models.names import parse_name
from thesislab.models.spec import ArchSpec
from thesislab.models.structure import structure_of
from thesislab.prune.target import Target, make_budget
from thesislab.prune.uniform import largest_scaled, scaled_widths


def test_targets_parse_and_round_trip() -> None:
    assert Target.parse("macs=0.5") == Target("macs", 0.5)
    latency = Target.parse("latency_ms=40@pi3")
    assert latency == Target("latency_ms", 40.0, "pi3")
    assert Target.from_mapping(latency.as_mapping()) == latency
    assert str(latency) == "latency_ms=40@pi3"
    fraction = Target.parse("latency=0.6@pi3")
    assert Target.from_mapping({"latency": 0.6, "device": "pi3"}) == fraction


def test_a_latency_fraction_keeps_that_share_of_the_predicted_latency(tmp_path: Path) -> None:
    write_fake_table(tmp_path, TINY_WRN)
    structure = structure_of(parse_name(TINY_WRN).spec)
    start = [16, 32, 64]
    fraction = make_budget(Target("latency", 0.6, FAKE_DEVICE), structure, start, tmp_path)
    absolute = make_budget(Target("latency_ms", 1.0, FAKE_DEVICE), structure, start, tmp_path)
    assert fraction.start == absolute.start
    assert fraction.limit == pytest.approx(0.6 * fraction.start)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("flops=0.5", "expected one of channels=..."),
        ("params=half", "expected a number after 'params='"),
        ("channels=1.5", "expected the fraction to keep"),
        ("latency_ms=40", "expected the device it is measured on"),
        ("latency_ms=-1@pi3", "expected a positive number of milliseconds"),
        ("latency=0.6", "expected the device it is measured on"),
        ("latency=40@pi3", "expected the fraction to keep"),
    ],
)
def test_bad_targets_say_what_was_expected(text: str, message: str) -> None:
    with pytest.raises(ThesislabError, match=message):
        Target.parse(text)


def test_mapping_targets_need_exactly_one_budget() -> None:
    with pytest.raises(ThesislabError, match="exactly one of"):
        Target.from_mapping({"macs": 0.5, "params": 0.5})


@pytest.mark.parametrize("target", ["channels=0.5", "params=0.3", "macs=0.61"])
def test_uniform_factor_is_the_largest_within_budget(target: str) -> None:
    spec = ArchSpec(family="wideresnet", params={"depth": 16, "width": 32, "all_prunable": True})
    structure = structure_of(spec)
    start = structure.default_widths
    budget = make_budget(Target.parse(target), structure, start, None)

    factor, widths = largest_scaled(structure, start, start, budget, upper=1.0)

    assert budget.within(widths)
    assert widths == scaled_widths(structure, start, start, factor)
    # The smallest change of the factor that widens any layer breaks the budget.
    wider = min(
        (count + 0.5) / width
        for width in start
        for count in range(width + 1)
        if (count + 0.5) / width > factor
    )
    assert not budget.within(scaled_widths(structure, start, start, wider))
    assert min(scaled_widths(structure, start, start, 0.0)) == 1


def test_a_budget_over_the_start_is_refused(tmp_path: Path) -> None:
    write_fake_table(tmp_path, TINY_WRN)
    structure = structure_of(parse_name(TINY_WRN).spec)
    with pytest.raises(ThesislabError, match="expected a budget below the starting network's"):
        make_budget(Target("latency_ms", 1e6, FAKE_DEVICE), structure, [16, 32, 64], tmp_path)


def test_axis_points_span_the_range() -> None:
    assert axis_points(64, 4) == [1, 22, 43, 64]
    assert axis_points(5, None) == [1, 2, 3, 4, 5]
    assert axis_points(3, 6) == [1, 2, 3]


def test_gaussian_smoothing_removes_spikes_and_keeps_planes() -> None:
    inputs, outputs = np.meshgrid(np.arange(10.0), np.arange(12.0), indexing="ij")
    plane = 2.0 * inputs + 3.0 * outputs + 1.0
    smoothed = gaussian_smooth(plane, [1.0, 1.0], sigma=1.0)
    np.testing.assert_allclose(smoothed[3:-3, 3:-3], plane[3:-3, 3:-3], atol=1e-9)
    spiky = plane.copy()
    spiky[5, 6] += 10.0
    assert abs(gaussian_smooth(spiky, [1.0, 1.0], 1.0)[5, 6] - plane[5, 6]) < 2.0
    np.testing.assert_array_equal(gaussian_smooth(spiky, [8.0, 8.0], 0.5), spiky)


def test_table_prediction_sums_its_layers(tmp_path: Path) -> None:
    write_fake_table(tmp_path, TINY_WRN)
    spec = parse_name(TINY_WRN).spec
    structure = structure_of(spec)
    for widths in ([16, 32, 64], [3, 7, 50], [0, 32, 1]):
        mixing = [layer for layer in structure.present(widths) if layer.kind in ("conv", "dense")]
        expected = 0.001 * len(mixing) + structure.macs(widths) / 1e7
        predicted = predict_latency_ms(
            tmp_path, spec.model_copy(update={"widths": widths}), FAKE_DEVICE
        )
        assert predicted == pytest.approx(expected)
    assert predict_latency_ms(tmp_path, spec, "elsewhere") is None
    # A deeper network has the same layer configurations: the table serves it; a wider one not.
    assert predict_latency_ms(tmp_path, parse_name("res-16-1").spec, FAKE_DEVICE) is not None
    wider = structure_of(parse_name("res-10-2").spec)
    with pytest.raises(ThesislabError, match="no latency table for res_d10_w32 on device 'fake'"):
        make_budget(Target("latency_ms", 1.0, FAKE_DEVICE), wider, wider.default_widths, tmp_path)
