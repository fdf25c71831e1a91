"""The tables behind the pages: pairs, the comparison with uniform pruning, lookup tables."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from tests.site.site_records import HOSTILE_NAME, LOCAL, PI
from thesislab.results.roles import Role
from thesislab.site import frames, latency_frames
from thesislab.site.palette import NO_METHOD, colour_of, colour_range


@pytest.fixture(scope="module")
def prepared(results_table):
    """The published results, prepared as the published pages have them."""
    published = frames.prepare(results_table)
    return published[published["role"] == Role.PUBLISHED]


def test_prepare_fills_method_and_marks_the_reference_layer(prepared, results_table):
    published = results_table[results_table["role"] == Role.PUBLISHED]
    assert (prepared["pruning_method"] == NO_METHOD).sum() == (
        published["pruning_method"].isna().sum()
    )
    assert prepared["pruning_method"].notna().all()
    assert set(prepared.loc[prepared["reference"], "source"]) == {"thesis-2019"}
    assert set(prepared.loc[~prepared["reference"], "source"]) == {"thesislab"}


def test_a_student_is_paired_with_its_twin_on_the_same_device(prepared):
    table = frames.pair_table(frames.distillation_pairs(prepared))
    own = table[table["name_b"] == "mobilenetv2_d9_er4_w16_own_KD"]
    assert list(own["name_a"]) == ["mobilenetv2_d9_er4_w16_own"]
    assert list(own["device_b"]) == [LOCAL]
    assert own["accuracy_change"].iloc[0] == pytest.approx(0.005)
    # The thesis's newKD student goes with the same recipe, not any network of its architecture.
    thesis = table[table["name_b"] == "mobilenetv1_d12_w64_cosine_newKD"]
    assert list(thesis["name_a"]) == ["mobilenetv1_d12_w64_cosine"]


def test_fp32_and_int8_of_one_configuration_pair_up_per_device(prepared):
    pairs = frames.quantization_pairs(prepared)
    table = frames.pair_table(pairs)
    own = table[table["name_a"] == "mobilenetv2_d9_er4_w16_own"]
    assert list(own[["side_a", "side_b", "device_b"]].itertuples(index=False)) == [
        ("fp32", "int8", LOCAL)
    ]
    assert own["speed_up"].iloc[0] == pytest.approx(3.1 / 1.2)
    assert len(table) == 6 + 1  # six in the thesis (int8 rows join their float one), one of ours


def test_models_measured_on_two_devices_pair_up_the_thesis_device_first(prepared):
    compared = latency_frames.device_comparison(prepared)
    assert list(compared[["name", "first_device", "device"]].itertuples(index=False)) == [
        ("mobilenetv2_d9_er4_w16_own", PI, LOCAL)
    ]
    assert compared["ratio"].iloc[0] == pytest.approx(3.1 / 30.0)


def test_no_pairs_gives_an_empty_long_form_table(prepared):
    pairs = frames.quantization_pairs(prepared[prepared["quantization"] == "fp32"])
    assert pairs.empty and {"pair", "side", "order"} <= set(pairs.columns)
    assert frames.pair_table(pairs).empty


def test_change_against_uniform_matches_interpolation_on_the_same_device(prepared):
    compared = frames.versus_baseline(prepared)
    uniform = compared[compared["pruning_method"] == frames.BASELINE_METHOD]
    assert (uniform["accuracy_change"] <= 1e-12).all()  # nothing beats its own frontier
    own = compared[compared["name"] == "wrn-40-2-netadapt-own"]
    assert math.isnan(own["accuracy_change"].iloc[0])  # no uniform result on `local`
    summary = frames.baseline_summary(compared)
    morphnet = summary[
        (summary["pruning_method"] == "morphnet") & (summary["stage"] == "retrained")
    ]
    assert morphnet[["results", "compared", "above"]].values.tolist() == [[16, 14, 10]]


def test_lookup_table_summary_per_device(prepared):
    summary = latency_frames.prediction_summary(latency_frames.predicted(prepared)).set_index(
        "device"
    )
    assert (summary.loc[PI, "family"], summary.loc[PI, "source"]) == ("wideresnet", "thesis-2019")
    assert summary.loc[PI, "results"] == 135
    assert summary.loc[PI, "correlation"] > 0.99
    assert summary.loc[LOCAL, "results"] == 1
    assert math.isnan(summary.loc[LOCAL, "correlation"])


def test_counts_per_source_and_device(prepared):
    counts = frames.counts(prepared, ["source", "device"]).set_index(["source", "device"])
    assert counts.loc[("thesislab", LOCAL), "results"] == 5
    assert counts.loc[("thesislab", PI), "results"] == 2
    assert counts.loc[("thesis-2019", "(none)"), "results"] == 13
    assert HOSTILE_NAME in set(prepared["name"])


def test_colours_are_fixed_for_known_names_and_stable_for_others():
    assert colour_of("uniform") == "#222222"
    assert colour_of("some-new-family") == colour_of("some-new-family")
    domain, colours = colour_range(pd.Series(["wideresnet", "effnet", "wideresnet"]))
    assert domain == ["effnet", "wideresnet"]
    assert colours == [colour_of("effnet"), colour_of("wideresnet")]
