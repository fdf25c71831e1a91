"""Every family builds at two sizes, and a pruned network builds and trains."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from tests.models.zoo_cases import TINY, images, pruned, randomize, tiny_spec
from thesislab.models.counting import count
from thesislab.models.registry import build_model, prunable_layers


@pytest.mark.parametrize("family", sorted(TINY))
def test_every_family_builds_at_two_sizes(family):
    sizes = []
    for size in (0, 1):
        model = build_model(tiny_spec(family, size))
        logits = keras.ops.convert_to_numpy(model(images(2), training=False))
        assert logits.shape == (2, 10)
        assert np.isfinite(logits).all()
        indices = sum(int(np.prod(w.shape)) for w in model.weights if "int" in str(w.dtype))
        assert count(model).params == model.count_params() - indices
        sizes.append(count(model))
    assert sizes[0].params < sizes[1].params
    assert sizes[0].macs < sizes[1].macs


@pytest.mark.parametrize("family", sorted(TINY))
def test_narrower_widths_give_a_smaller_network(family):
    full = count(build_model(tiny_spec(family, 1)))
    narrow = count(build_model(pruned(tiny_spec(family, 1))))
    assert narrow.params < full.params
    assert narrow.macs < full.macs


def test_pruned_widths_reach_the_layers():
    spec = tiny_spec("mobilenetv1").model_copy(update={"widths": [8, 4, 12, 20]})
    assert [layer.name for layer in prunable_layers(spec)] == [
        "stem",
        "stage1_block0",
        "stage2_block0",
        "stage3_block0",
    ]
    model = build_model(spec)
    assert model.get_layer("stem_conv").filters == 8
    assert model.get_layer("stage2_block0_pointwise_conv").filters == 12
    assert model.get_layer("head_logits").input.shape[-1] == 20


def test_a_removed_wideresnet_block_leaves_its_shortcut():
    spec = tiny_spec("wideresnet").model_copy(update={"widths": [8, 0, 16]})
    names = {layer.name for layer in build_model(spec).layers}
    assert "stage2_block0_projection" in names
    assert "stage2_block0_conv1" not in names
    assert "stage1_block0_conv1" in names


@pytest.mark.slow
@pytest.mark.parametrize("family", sorted(TINY))
def test_a_pruned_network_trains_one_step(family):
    model = build_model(pruned(tiny_spec(family)))
    model.compile(
        optimizer=keras.optimizers.SGD(0.1),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        run_eagerly=True,
    )
    before = [keras.ops.convert_to_numpy(w).copy() for w in model.trainable_weights]
    loss = model.train_on_batch(images(8), np.arange(8) % 10)
    assert np.isfinite(loss)
    after = [keras.ops.convert_to_numpy(w) for w in model.trainable_weights]
    assert any(not np.allclose(a, b) for a, b in zip(before, after, strict=True))


@pytest.mark.parametrize("family", ["condensenet", "shufflenetv1", "shufflenetv2"])
def test_networks_with_custom_layers_save_and_load(family, tmp_path):
    model = build_model(tiny_spec(family))
    randomize(model)
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras", compile=False)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(loaded(images(2), training=False)),
        keras.ops.convert_to_numpy(model(images(2), training=False)),
    )
