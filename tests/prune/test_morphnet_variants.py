"""MorphNet as the thesis ran it: the group-lasso penalty zeroes a whole group of filters, a fresh
network trains for the parent's whole recipe, and the alive widths are read off (or multiplied)
without budget matching; the second pass trains a fresh network of the first pass's widths × 1.8
under the regulariser again."""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
from keras import ops
from rich.console import Console

from tests.prune.conftest import TINY_WRN
from thesislab.data import load_data
from thesislab.models.names import parse_name
from thesislab.models.structure import structure_of
from thesislab.prune.morphnet import alive_widths, morphnet, multiplied
from thesislab.prune.search import Context
from thesislab.prune.settings import MorphNetSettings
from thesislab.prune.target import Target, make_budget
from thesislab.prune.trainer import Penalty
from thesislab.train.network import build_network
from thesislab.train.recipe import load_recipe


class _Toy(keras.layers.Layer):  # type: ignore[misc]
    """Two groups of filters (4 channels each) whose outputs must fit a target; the penalty on
    them is added to the loss."""

    def __init__(self, penalty: Penalty, weights: list[float]) -> None:
        super().__init__()
        self.penalty, self.penalty_weights = penalty, np.asarray(weights, dtype=np.float32)

    def build(self, input_shape: tuple[int, ...]) -> None:
        self.first = self.add_weight((input_shape[-1], 4), initializer="ones", name="first")
        self.second = self.add_weight((input_shape[-1], 4), initializer="ones", name="second")

    def call(self, inputs: keras.KerasTensor) -> keras.KerasTensor:
        self.add_loss(self.penalty([self.first, self.second], self.penalty_weights))
        return ops.concatenate([inputs @ self.first, inputs @ self.second], axis=-1)


def test_group_lasso_drives_a_whole_group_to_zero() -> None:
    rng = np.random.default_rng(0)
    inputs = rng.normal(size=(64, 8)).astype(np.float32)
    targets = inputs @ np.full((8, 8), 0.05, dtype=np.float32)  # both groups are useful
    steps = 400
    toy = _Toy(Penalty(((0,), (1,)), norm="rms"), weights=[1.0, 0.0])
    model = keras.Sequential([keras.Input((8,)), toy])
    schedule = keras.optimizers.schedules.CosineDecay(0.05, decay_steps=steps)
    model.compile(optimizer=keras.optimizers.SGD(schedule), loss="mse")
    model.fit(np.tile(inputs, (steps, 1)), np.tile(targets, (steps, 1)), batch_size=64, verbose=0)

    rms = [np.sqrt(np.mean(np.asarray(kernel) ** 2, axis=0)) for kernel in (toy.first, toy.second)]
    assert np.all(rms[0] < 1e-3)  # every channel of the penalised group is dead
    assert np.all(rms[1] > 0.03)  # the other group fits the target


def _context(widths: list[int] | None = None) -> Context:
    spec = parse_name(TINY_WRN).spec.model_copy(update={"widths": widths})
    structure = structure_of(spec)
    recipe = load_recipe(batch_size=16, epochs=2, learning_rate=0.05)
    network = build_network(spec, recipe, mixed_precision=False)
    data = load_data()
    data = dataclasses.replace(data, train=data.train.take(np.arange(64)))
    widths = widths or structure.default_widths
    budget = make_budget(Target("macs", 0.5), structure, widths, None)
    console = Console(quiet=True)
    return Context("parent", spec, structure, widths, network, recipe, budget, data, None, console)


def test_thesis_variant_trains_a_fresh_network_for_the_parents_recipe() -> None:
    context = _context()
    before = [np.array(weight) for weight in context.network.get_weights()]
    settings = MorphNetSettings(
        regularizer="group_lasso",
        weights="flops",
        resource="macs",
        strength=5e-8,
        threshold=1e-3,
        from_scratch=True,
        factor=1.0,
        update_every=1,
    )

    outcome = morphnet(context, settings)

    assert outcome.network is not context.network
    for kept, after in zip(before, context.network.get_weights(), strict=True):
        np.testing.assert_array_equal(kept, after)  # the parent is left as it was
    assert [entry["step"] for entry in outcome.history] == list(range(2 * 64 // 16))
    alive = alive_widths(outcome.network, context.structure, 1e-3, "group_lasso", context.widths)
    assert outcome.details == {"alive": alive, "scale": 1.0}
    assert [len(channels) for channels in outcome.kept] == alive  # read off, not matched
    assert not context.budget.within(alive)


def test_widths_multiply_rounding_down_capped_or_not() -> None:
    structure = structure_of(parse_name(TINY_WRN).spec)
    assert multiplied(structure, [10, 11, 0], [16, 32, 64], 1.8) == [16, 19, 0]
    assert multiplied(structure, [5, 20, 30], [16, 32, 64], 1.8) == [9, 32, 54]
    assert multiplied(structure, [10, 20, 0], None, 1.8) == [18, 36, 0]


def test_the_second_pass_trains_the_first_passs_network_widened_under_the_regulariser() -> None:
    first_pass = [10, 20, 0]  # the last block removed
    context = _context(first_pass)
    settings = MorphNetSettings(
        regularizer="gamma",
        weights="flops",
        resource="macs",
        strength=6e-9,
        threshold=5e-4,
        from_scratch=True,
        factor=1.0,
        widen=1.8,
        update_every=1,
    )

    outcome = morphnet(context, settings)

    widened = [18, 36, 0]  # int(1.8 w), wider than the unpruned network's 16 in the first stage
    assert outcome.history[0]["alive"] == widened  # a fresh network: every channel alive
    assert len(outcome.history) == 2 * 64 // 16  # the parent's whole recipe, regularised
    assert [int(kernel.shape[-1]) for kernel in _conv1_kernels(outcome.network)] == widened[:2]
    alive = alive_widths(outcome.network, context.structure, 5e-4, "gamma", widened)
    assert [len(channels) for channels in outcome.kept] == alive  # read off, not capped
    assert outcome.details == {"alive": alive, "scale": 1.0}


def _conv1_kernels(network: keras.Model) -> list[keras.Variable]:
    return [weight for weight in network.trainable_weights if weight.path.endswith("_conv1/kernel")]


def test_a_stage_without_batch_norm_keeps_its_channels() -> None:
    """A post-activation stage whose only block is gone has no batch norm on its channels (its
    output is the shortcut's projection): the gamma regulariser cannot reach it."""
    spec = parse_name(TINY_WRN).spec
    spec = spec.model_copy(
        update={"params": {**spec.params, "all_prunable": True, "block": "postact"}}
    )
    structure = structure_of(spec)
    widths = [16, 16, 0, 32, 32, 64, 64]  # stage1's block removed
    assert [group.name for group in structure.groups][1:3] == ["stage1", "stage1_block0_conv1"]
    network = build_network(
        spec.model_copy(update={"widths": widths}), load_recipe(), mixed_precision=False
    )

    alive = alive_widths(network, structure, 0.5, "gamma", widths)

    assert alive == widths  # fresh scales (1) alive; stage1 unreachable, so whole
