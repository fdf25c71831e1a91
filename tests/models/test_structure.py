"""The channel structure of a family: costs without building, the masked view, thinner copies."""

from __future__ import annotations

import numpy as np
import pytest

from tests.prune.conftest import TINY_MOBILENET, TINY_WRN
from thesislab.errors import ThesislabError
from thesislab.models.counting import count
from thesislab.models.names import parse_name
from thesislab.models.registry import build_model
from thesislab.models.spec import ArchSpec
from thesislab.models.structure import structure_of
from thesislab.prune.masking import mask_points, masked_network, zoo_network
from thesislab.prune.weights import thin_network
from thesislab.train.network import build_network
from thesislab.training_recipe import Recipe

ALL_PRUNABLE_WRN = ArchSpec(
    family="wideresnet", params={"depth": 16, "width": 16, "all_prunable": True}
)
CASES = [parse_name(TINY_WRN).spec, ALL_PRUNABLE_WRN, parse_name(TINY_MOBILENET).spec]
LOGIT_TOLERANCE = 1e-5
"""Masked and thinned logits agree to this fraction of the largest logit (float32 rounding of
differently ordered sums is about 1e-7 of it)."""


@pytest.mark.parametrize("spec", CASES, ids=["wrn", "wrn-all-prunable", "mobilenetv2"])
def test_costs_match_the_counted_network(spec: ArchSpec) -> None:
    structure = structure_of(spec)
    rng = np.random.default_rng(0)
    for trial in range(3):
        widths = [
            int(rng.integers(0 if group.removable and trial else 1, group.default + 1))
            for group in structure.groups
        ]
        counted = count(build_model(spec.model_copy(update={"widths": widths})))
        assert (structure.params(widths), structure.macs(widths)) == (counted.params, counted.macs)


def test_tied_layers_are_one_prunable_layer() -> None:
    structure = structure_of(ALL_PRUNABLE_WRN)
    zoo = build_model(ALL_PRUNABLE_WRN)
    points = mask_points(zoo, structure)
    stage2 = structure.group_index("stage2")
    # The stage's channels enter convolutions at the pre-activation of the blocks they feed (its
    # second block, the first block of the next stage) and nowhere else.
    assert sorted(name for name, group in points.items() if group == stage2) == [
        "stage2_block1_preact_relu",
        "stage3_block0_preact_relu",
    ]
    assert points["stage2_block0_preact_relu"] == structure.group_index("stage1")
    assert points["stage2_block1_mid_relu"] == structure.group_index("stage2_block1_conv1")


@pytest.mark.parametrize("spec", CASES, ids=["wrn", "wrn-all-prunable", "mobilenetv2"])
def test_masking_channels_is_removing_them(spec: ArchSpec) -> None:
    structure = structure_of(spec)
    network = build_network(spec, Recipe(), mixed_precision=False)
    rng = np.random.default_rng(1)
    for variable in network.non_trainable_variables + network.trainable_variables:
        noise = rng.normal(0.0, 0.2, variable.shape).astype("float32")
        variable.assign(np.abs(np.asarray(variable) + noise) + 0.1)
    removed = next((index for index, group in enumerate(structure.groups) if group.removable), -1)
    kept = [
        np.sort(
            rng.choice(width, size=0 if index == removed else max(width // 2, 1), replace=False)
        )
        for index, width in enumerate(structure.default_widths)
    ]
    thinner, thin = thin_network(network, structure, spec, kept)
    view = masked_network(network, structure, structure.default_widths)
    images = rng.uniform(0, 255, size=(3, 32, 32, 3)).astype("float32")
    masks = []
    for group, width in zip(view.groups, view.widths, strict=True):
        mask = np.zeros((3, width), dtype="float32")
        mask[:, kept[group]] = 1.0
        masks.append(mask)

    expected = np.asarray(thin(images, training=False))
    # The positive weights make the logits large (about 1e9 in the WideResNets), and float32 holds
    # about seven significant digits: the tolerance is relative to the logits' scale.
    tolerance = LOGIT_TOLERANCE * float(np.abs(expected).max())
    masked = np.asarray(view.model([images, *masks], training=False))
    np.testing.assert_allclose(masked, expected, rtol=0, atol=tolerance)
    # A channel of the last group left unmasked is well outside that tolerance.
    leaky = [mask.copy() for mask in masks]
    leaky[-1][:, np.flatnonzero(leaky[-1][0] == 0)[0]] = 1.0
    assert np.abs(np.asarray(view.model([images, *leaky], training=False)) - expected).max() > (
        100 * tolerance
    )
    assert thinner.widths == [len(indices) for indices in kept]
    fewer_layers = len(zoo_network(thin).layers) < len(zoo_network(network).layers)
    assert fewer_layers == (removed >= 0)  # a removable layer at width 0 takes its block away


def test_se_on_prunable_stages_is_refused() -> None:
    se = ArchSpec(family="wideresnet", params={"depth": 10, "width": 16, "se_ratio": 4})
    assert structure_of(se).params(structure_of(se).default_widths) == count(build_model(se)).params
    with pytest.raises(ThesislabError, match="follow another layer's width"):
        structure_of(se.model_copy(update={"params": {**se.params, "all_prunable": True}}))


def test_a_spec_of_another_network_is_refused() -> None:
    with pytest.raises(ThesislabError, match="expected a res_d10_w16 network"):
        structure_of(parse_name(TINY_WRN).spec).check(parse_name("res-16-1").spec)
