"""The search's training: Fisher saliency, MorphNet's regulariser and frozen variables, under
TensorFlow and JAX."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.jax_process import JaxProcess
from tests.prune.conftest import TINY_WRN
from thesislab.data import load_data
from thesislab.models.names import parse_name
from thesislab.models.structure import structure_of
from thesislab.prune.masking import masked_network, zoo_network
from thesislab.prune.morphnet import channel_costs
from thesislab.prune.target import cost_function
from thesislab.prune.trainer import Penalty, SearchTrainer
from thesislab.prune.weights import channel_scales, scale_variables, sliced_variables
from thesislab.train.network import build_network
from thesislab.train.recipe import load_recipe


def zeroed_channel_saliency(data: str) -> tuple[float, float, int]:
    """Fisher saliency of a channel whose filter and batch-norm scale and offset are zero, the
    smallest of the other channels', and the steps they were summed over."""
    spec = parse_name(TINY_WRN).spec
    structure = structure_of(spec)
    recipe = load_recipe(batch_size=32, learning_rate=8e-4, schedule="constant")
    network = build_network(spec, recipe, mixed_precision=False)
    zoo = zoo_network(network)
    conv = zoo.get_layer("stage2_block0_conv1")
    kernel = conv.get_weights()[0]
    kernel[..., 5] = 0.0
    conv.set_weights([kernel])
    norm = zoo.get_layer("stage2_block0_mid_bn")
    gamma, beta, mean, variance = norm.get_weights()
    gamma[5] = beta[5] = 0.0
    norm.set_weights([gamma, beta, mean, variance])
    view = masked_network(network, structure, structure.default_widths)
    trainer = SearchTrainer(view, recipe, load_data(data).train)
    trainer.run(3)
    saliency = trainer.fisher()[view.groups.index(1)]
    return float(saliency[5]), float(np.min(np.delete(saliency, 5))), trainer.steps


def frozen_variables_stay(data: str) -> tuple[bool, bool]:
    """Two steps, then the variables a removal from stage2_block0_conv1 slices are frozen and two
    more steps run: whether those kept their values, and whether every other one moved."""
    spec = parse_name(TINY_WRN).spec
    structure = structure_of(spec)
    recipe = load_recipe(batch_size=32, learning_rate=0.05, schedule="constant")
    network = build_network(spec, recipe, mixed_precision=False)
    view = masked_network(network, structure, structure.default_widths)
    trainer = SearchTrainer(view, recipe, load_data(data).train, freezing=True)
    trainer.run(2)
    frozen = sliced_variables(network, structure, structure.group_index("stage2_block0_conv1"))
    trainer.freeze(frozen)
    trainer.sync()
    before = {variable.path: np.array(variable) for variable in network.trainable_weights}
    trainer.run(2)
    trainer.sync()
    after = {variable.path: np.array(variable) for variable in network.trainable_weights}
    names = {variable.path for variable in frozen}
    kept = all(np.array_equal(after[path], before[path]) for path in names)
    moved = all(not np.array_equal(after[path], before[path]) for path in after.keys() - names)
    return kept, moved


def test_frozen_variables_keep_their_values(small_data: Path) -> None:
    assert frozen_variables_stay(str(small_data)) == (True, True)


@pytest.mark.slow
def test_frozen_variables_keep_their_values_under_jax(small_data: Path, on_jax: JaxProcess) -> None:
    assert on_jax.call(frozen_variables_stay, str(small_data)) == [True, True]


def _trainer(network, structure, penalty: Penalty | None = None, **recipe) -> SearchTrainer:
    chosen = load_recipe(batch_size=32, schedule="constant", **recipe)
    view = masked_network(network, structure, structure.default_widths)
    return SearchTrainer(view, chosen, load_data().train, penalty)


def test_saliency_of_a_zeroed_channel_is_zero(small_data: Path) -> None:
    zeroed, others, steps = zeroed_channel_saliency(str(small_data))
    assert zeroed == 0.0 and others > 0.0 and steps == 3


@pytest.mark.slow
def test_saliency_of_a_zeroed_channel_is_zero_under_jax(
    small_data: Path, on_jax: JaxProcess
) -> None:
    zeroed, others, steps = on_jax.call(zeroed_channel_saliency, str(small_data))
    assert zeroed == 0.0 and others > 0.0 and steps == 3


def test_masked_out_channels_stay_out_of_training() -> None:
    spec = parse_name(TINY_WRN).spec
    structure = structure_of(spec)
    network = build_network(spec, load_recipe(), mixed_precision=False)
    conv2 = zoo_network(network).get_layer("stage2_block0_conv2")
    before = np.array(conv2.get_weights()[0])
    trainer = _trainer(network, structure, learning_rate=0.05, weight_decay=0.0)
    mask = np.ones(32, dtype=np.float32)
    mask[:8] = 0.0
    trainer.set_mask(1, mask)

    trainer.run(2)
    trainer.sync()

    after = conv2.get_weights()[0]
    np.testing.assert_array_equal(after[:, :, :8], before[:, :, :8])
    assert np.all(np.any(after[:, :, 8:] != before[:, :, 8:], axis=(0, 1, 3)))
    assert trainer.steps == 2 and all(np.all(values > 0) for values in trainer.fisher())
    trainer.reset_fisher()
    assert trainer.steps == 0 and not any(np.any(values) for values in trainer.fisher())


@pytest.mark.slow
def test_morphnet_regulariser_drives_scales_to_zero() -> None:
    spec = parse_name(TINY_WRN).spec
    structure = structure_of(spec)
    costs = channel_costs(cost_function("macs", structure, None, None), structure.default_widths)
    dead = {}
    for strength in (0.0, 50.0):
        network = build_network(spec, load_recipe(), mixed_precision=False)
        variables = network.trainable_variables
        penalty = Penalty(
            tuple(
                tuple(
                    next(i for i, variable in enumerate(variables) if variable is scale)
                    for scale in scale_variables(network, structure, group)
                )
                for group in range(len(structure.groups))
            )
        )
        trainer = _trainer(network, structure, penalty, learning_rate=0.1)
        trainer.penalty_weights = (strength * costs).astype(np.float32)
        trainer.run(25)
        trainer.sync()
        dead[strength] = sum(
            int(np.sum(channel_scales(network, structure, group) < 0.01))
            for group in range(len(structure.groups))
        )
    assert dead[0.0] == 0
    assert dead[50.0] > 0
