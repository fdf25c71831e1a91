"""Fisher pruning's thesis variants on fresh all-prunable WideResNets and a few images: Crowley et
al.'s block-internal removals, one per `prune_every` steps, and the latency-table saliency, whose
narrowed layers stop training."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from rich.console import Console

from tests.prune.conftest import TINY_WRN
from thesislab.data import load_data
from thesislab.models.names import parse_name
from thesislab.models.structure import structure_of
from thesislab.prune.fisher import fisher, group_saliency, normalized_score
from thesislab.prune.masking import masked_network
from thesislab.prune.search import Context, search_recipe
from thesislab.prune.settings import FisherSettings
from thesislab.prune.target import Target, make_budget
from thesislab.prune.trainer import SearchTrainer
from thesislab.prune.weights import sliced_variables
from thesislab.train.network import build_network
from thesislab.train.recipe import load_recipe

IMAGES = 64


def _context(keep: float, name: str = TINY_WRN, block: str = "preact") -> Context:
    spec = parse_name(name).spec
    params = {**spec.params, "all_prunable": True, "block": block}
    spec = spec.model_copy(update={"params": params})
    structure = structure_of(spec)
    recipe = load_recipe(batch_size=16, epochs=1)
    network = build_network(spec, recipe, mixed_precision=False)
    data = load_data()
    data = dataclasses.replace(data, train=data.train.take(np.arange(IMAGES)))
    widths = structure.default_widths
    budget = make_budget(Target("channels", keep), structure, widths, None)
    console = Console(quiet=True)
    return Context("parent", spec, structure, widths, network, recipe, budget, data, None, console)


def test_normalized_score_divides_by_the_saving_as_the_thesis_did() -> None:
    assert normalized_score(6.0, 2.0, "skip") == normalized_score(6.0, 2.0, "divide") == 3.0
    assert normalized_score(6.0, -2.0, "skip") is None
    assert normalized_score(6.0, 0.0, "skip") is None
    # The thesis divided by a negative saving too: a negative score, below any positive one.
    assert normalized_score(6.0, -2.0, "divide") == -3.0
    assert normalized_score(6.0, 0.0, "divide") == math.inf


def test_crowley_variant_removes_one_block_internal_channel_per_prune_every_steps(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    context = _context(keep=0.97)
    events: list[tuple[str, int]] = []
    masked: dict[int, list[int]] = {}
    run, set_mask = SearchTrainer.run, SearchTrainer.set_mask

    def logged_run(self: SearchTrainer, steps: int) -> None:
        events.append(("run", steps))
        run(self, steps)

    def logged_set_mask(self: SearchTrainer, group: int, mask: np.ndarray) -> None:
        events.append(("mask", group))
        masked.setdefault(group, []).append(int(mask.size - mask.sum()))
        set_mask(self, group, mask)

    monkeypatch.setattr(SearchTrainer, "run", logged_run)
    monkeypatch.setattr(SearchTrainer, "set_mask", logged_set_mask)
    settings = FisherSettings(layers="block_internal", prune_every=2, batch_size=16)

    outcome = fisher(context, settings)

    structure = context.structure
    removed = len(outcome.history)
    assert removed == sum(structure.default_widths) - math.floor(0.97 * sum(context.widths))
    internal = {group for group, layer in enumerate(structure.groups) if layer.removable}
    assert {structure.group_index(name) for name, _ in outcome.history} <= internal
    assert events[0::2] == [("run", 2)] * removed  # a removal after every two steps
    assert [kind for kind, _ in events[1::2]] == ["mask"] * removed
    assert set(masked) <= internal
    for counts in masked.values():  # one more channel masked at each removal
        assert counts == list(range(1, len(counts) + 1))
    kept = [len(channels) for channels in outcome.kept]
    for group, layer in enumerate(structure.groups):
        assert kept[group] == layer.default or layer.removable


def test_table_variant_averages_the_saliency_over_the_places_of_a_tied_layer() -> None:
    context = _context(keep=0.99, name="res-16-1")  # two blocks per stage
    structure = context.structure
    view = masked_network(context.network, structure, context.widths, per_place=True)
    stage = structure.group_index("stage1")
    assert view.groups.count(stage) == 2  # through the second block and the next stage
    trainer = SearchTrainer(
        view, load_recipe(batch_size=16, schedule="constant"), context.data.train
    )
    trainer.run(2)

    sums = trainer.fisher()
    places = [sums[i] for i, group in enumerate(view.groups) if group == stage]
    np.testing.assert_allclose(group_saliency(trainer)[stage], np.mean(places, axis=0) / 2)

    settings = FisherSettings(
        normalize="macs", tied="mean", negative_savings="divide", prune_every=1, batch_size=16
    )
    outcome = fisher(context, settings)
    assert context.budget.within([len(channels) for channels in outcome.kept])


def test_a_removal_slices_the_layers_the_thesis_rebuilt() -> None:
    context = _context(keep=0.99, block="postact")
    structure = context.structure

    def sliced(name: str) -> list[str]:
        group = structure.group_index(name)
        return [v.path for v in sliced_variables(context.network, structure, group)]

    # N/models/wideresnet.py:414-418: Conv_0 with its batch norm, the first block's conv and skip
    assert sliced("stem") == [
        "stem_conv/kernel",
        "stem_bn/gamma",
        "stem_bn/beta",
        "stage1_block0_conv1/kernel",
        "stage1_block0_projection/kernel",
    ]
    # lines 446-450: Conv_x_y_1 with its batch norm, and Conv_x_y_2's input
    assert sliced("stage2_block0_conv1") == [
        "stage2_block0_conv1/kernel",
        "stage2_block0_mid_bn/gamma",
        "stage2_block0_mid_bn/beta",
        "stage2_block0_conv2/kernel",
    ]
    # lines 420-444: the skip and every Conv_x_i_2 with its batch norm, and the classifier's input
    assert set(sliced("stage3")) == {
        "stage3_block0_conv2/kernel",
        "stage3_block0_projection/kernel",
        "stage3_block0_post_bn/gamma",
        "stage3_block0_post_bn/beta",
        "head_logits/kernel",
    }


@pytest.mark.parametrize("freeze", [True, False])
def test_the_table_variant_stops_training_what_it_narrowed(
    monkeypatch: pytest.MonkeyPatch, freeze: bool
) -> None:
    context = _context(keep=0.99, block="postact")
    initial = {variable.path: np.array(variable) for variable in context.network.trainable_weights}
    first: dict[str, np.ndarray] = {}
    set_mask = SearchTrainer.set_mask

    def remembered(self: SearchTrainer, group: int, mask: np.ndarray) -> None:
        if not first:  # the layers the first removal narrows, as they are then
            self.sync()
            sliced = sliced_variables(context.network, context.structure, group)
            first.update((variable.path, np.array(variable)) for variable in sliced)
        set_mask(self, group, mask)

    monkeypatch.setattr(SearchTrainer, "set_mask", remembered)
    settings = FisherSettings(
        normalize="macs",
        tied="mean",
        negative_savings="divide",
        freeze_pruned=freeze,
        channels_removed=3,
        prune_every=2,
        batch_size=16,
    )

    outcome = fisher(context, settings)

    assert len(outcome.history) == 3  # two more removals, four more steps, after the first
    after = {variable.path: np.array(variable) for variable in context.network.trainable_weights}
    assert first and len(first) < len(after)
    for path, value in first.items():
        assert np.array_equal(after[path], value) == freeze, path
    for path in after.keys() - first.keys():
        assert not np.array_equal(after[path], initial[path]), path  # the others trained on


def test_crowleys_pruning_phase_crops_zero_padded_images() -> None:
    parent = load_recipe(preset="thesis2019-pytorch")
    crowley = search_recipe(FisherSettings(layers="block_internal", crop_fill="zeros"), parent)
    assert (crowley.crop_fill, crowley.crop_positions, crowley.nesterov) == ("zeros", 9, False)
    assert crowley.weight_decay_scope == "all" and crowley.weight_decay == 5e-4
    assert search_recipe(FisherSettings(), parent).crop_fill == "reflect"  # the model's own
