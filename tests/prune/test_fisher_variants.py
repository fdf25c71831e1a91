"""Fisher pruning's thesis variants on fresh all-prunable WideResNets and a few images: Crowley et
al.'s block-internal removals, one per `prune_every` steps, and the latency-table saliency."""

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
from thesislab.prune.fisher import FisherSettings, fisher, group_saliency, normalized_score
from thesislab.prune.masking import masked_network
from thesislab.prune.search import Context
from thesislab.prune.target import Target, make_budget
from thesislab.prune.trainer import SearchTrainer
from thesislab.train.network import build_network
from thesislab.train.recipe import load_recipe

IMAGES = 64


def _context(keep: float, name: str = TINY_WRN) -> Context:
    spec = parse_name(name).spec
    spec = spec.model_copy(update={"params": {**spec.params, "all_prunable": True}})
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
