"""NetAdapt's schedule, proposal rules and scores (thesislab's and the thesis's variants)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from tests.prune.conftest import Trained
from thesislab.models.plan import PrunableLayer
from thesislab.models.spec import ArchSpec
from thesislab.models.structure import structure_of
from thesislab.prune.netadapt import channels_to_remove, reduction
from thesislab.prune.run import prune_model
from thesislab.prune.settings import NetAdaptSettings
from thesislab.prune.weights import channel_norms
from thesislab.records import ModelRecord
from thesislab.store import Store
from thesislab.train.network import build_network, zoo_network
from thesislab.training_recipe import Recipe

THESIS = NetAdaptSettings(variant="thesis2019")
THESISLAB = NetAdaptSettings()
STEM = PrunableLayer("stem", 4)
CONV1 = PrunableLayer("block_conv1", 4, removable=True)
PER_CHANNEL = (1.0, 1.0)


def _linear(widths: list[int]) -> float:
    """A fake cost: one per channel of each layer."""
    return float(sum(w * c for w, c in zip(widths, PER_CHANNEL, strict=True)))


def test_iteration_targets_are_latency_fractions_decayed_geometrically():
    latency, pf = 80.0, 0.4
    settings = NetAdaptSettings(init_red_fact=20, decay_rate=0.98, variant="thesis2019")
    targets = [reduction(latency, (1 - pf) * latency, settings, k) for k in range(4)]
    assert targets == pytest.approx([pf * latency / 20 * 0.98**k for k in range(4)])


def test_the_thesis_asks_for_a_saving_strictly_greater_than_the_reduction():
    assert channels_to_remove(_linear, [4, 4], 0, STEM, 2.0, THESIS) == 3
    assert channels_to_remove(_linear, [4, 4], 0, STEM, 2.0, THESISLAB) == 2
    assert channels_to_remove(_linear, [4, 4], 0, STEM, 1.5, THESIS) == 2


def test_the_thesis_keeps_one_channel_of_a_layer_that_cannot_go():
    # three channels of four save 3: not more than 3, and the stem cannot lose its last one
    assert channels_to_remove(_linear, [4, 4], 0, STEM, 3.0, THESIS) is None
    small = NetAdaptSettings(variant="thesis2019", allow_small=True)
    assert channels_to_remove(_linear, [4, 4], 0, STEM, 3.0, small) is None
    # thesislab's allow_small proposes all the layer can still lose
    assert (
        channels_to_remove(_linear, [4, 4], 0, STEM, 3.0, NetAdaptSettings(allow_small=True)) == 3
    )


def test_only_a_blocks_first_conv_removes_its_block_and_only_under_the_rule():
    # the block's full cost (4) exceeds 3.5: the whole block goes
    assert channels_to_remove(_linear, [4, 4], 1, CONV1, 3.5, THESIS) == 4
    # a full cost of 4 does not exceed 4: nothing, unless allow_small
    assert channels_to_remove(_linear, [4, 4], 1, CONV1, 4.0, THESIS) is None
    small = NetAdaptSettings(variant="thesis2019", allow_small=True)
    assert channels_to_remove(_linear, [4, 4], 1, CONV1, 4.0, small) == 4
    # a partial removal that meets the reduction is preferred to the block's removal
    assert channels_to_remove(_linear, [4, 4], 1, CONV1, 2.5, THESIS) == 3
    # a removed block proposes nothing
    assert channels_to_remove(_linear, [4, 0], 1, CONV1, 0.5, small) is None


def test_a_cost_that_only_falls_at_zero_removes_blocks_but_not_other_layers():
    def stepped(widths: list[int]) -> float:
        return sum(10.0 if width else 0.0 for width in widths)

    assert channels_to_remove(stepped, [4, 4], 1, CONV1, 5.0, THESIS) == 4
    assert channels_to_remove(stepped, [4, 4], 0, STEM, 5.0, THESIS) is None
    assert channels_to_remove(stepped, [4, 4], 0, STEM, 5.0, THESISLAB) is None


def test_the_thesis_l2_score_leaves_the_shortcut_projection_out():
    spec = ArchSpec(
        family="wideresnet",
        params={"depth": 16, "width": 8, "block": "postact", "all_prunable": True},
    )
    network = build_network(spec, Recipe(), mixed_precision=False)
    model = zoo_network(network)
    structure = structure_of(spec)
    group = structure.group_index("stage2")

    def norms(name: str) -> np.ndarray:
        kernel = model.get_layer(name).get_weights()[0].astype(np.float64)
        return np.sqrt(np.sum(kernel.reshape(-1, kernel.shape[-1]) ** 2, axis=0))

    convs = [norms(f"stage2_block{block}_conv2") for block in range(2)]
    skip = frozenset({"stage2_block0_projection"})
    np.testing.assert_allclose(
        channel_norms(network, structure, group, leave_out=skip), np.mean(convs, axis=0)
    )
    everything = np.mean([*convs, norms("stage2_block0_projection")], axis=0)
    np.testing.assert_allclose(channel_norms(network, structure, group), everything)


@pytest.mark.slow
def test_the_thesis_variant_runs_its_schedule_unclamped(trained: Trained) -> None:
    settings = {
        "batch_size": 32,
        "short_term_steps": 2,
        "init_red_fact": 4,
        "decay_rate": 0.9,
        "variant": "thesis2019",
    }
    identifier = prune_model(
        trained.results, trained.model_id, "netadapt", {"macs": 0.6}, settings, trained.data
    )
    record = Store(trained.results).get(identifier)
    assert isinstance(record, ModelRecord) and record.lineage.pruning is not None
    results = record.lineage.pruning.results
    assert results is not None
    history = results.history
    assert results.cost <= results.limit
    first = (results.start - results.limit) / 4
    for k, step in enumerate(history):
        assert step["asked"] == pytest.approx(first * 0.9**k)
        assert step["saved"] > step["asked"]
    for before, after in itertools.pairwise(history):
        assert after["cost"] < before["cost"]
