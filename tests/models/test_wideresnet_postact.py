"""The post-activation WideResNet of the thesis's NetAdapt: layer order, parameters, TFLite."""

from __future__ import annotations

import numpy as np
import pytest

from tests.models.zoo_cases import images, randomize
from tests.tflite_files import outputs
from thesislab.deploy.convert import Variant, convert
from thesislab.errors import ThesislabError
from thesislab.models.counting import count_spec
from thesislab.models.registry import build_model, resolve
from thesislab.models.spec import ArchSpec


def _postact(depth: int, width: int, **params: object) -> ArchSpec:
    return ArchSpec(
        family="wideresnet", params={"depth": depth, "width": width, "block": "postact", **params}
    )


def _thesis_params(depth: int, widen: int) -> int:
    """Trainable parameters of N/models/wideresnet.py's WideResNet(depth, widen): BN-free 1x1
    skips, a BN (scale, offset) after every 3x3 convolution, the dense classifier."""
    channels = [16, 16 * widen, 32 * widen, 64 * widen]
    blocks = (depth - 4) // 6
    total = 3 * 16 * 9 + 2 * 16
    for stage in range(1, 4):
        before, width = channels[stage - 1], channels[stage]
        total += before * width
        total += 9 * before * width + 2 * width
        total += 9 * width * width + 2 * width
        total += (blocks - 1) * 2 * (9 * width * width + 2 * width)
    return total + channels[3] * 10 + 10


def _batch_norm_channels(depth: int, widen: int) -> int:
    blocks = (depth - 4) // 6
    return 16 + sum(2 * blocks * 16 * widen * 2**stage for stage in range(3))


def test_wrn_40_2_has_the_parameters_of_the_thesis_builder():
    counted = count_spec(_postact(40, 32)).params
    thesis = _thesis_params(40, 2)
    assert abs(counted - thesis) / thesis < 0.02
    # exactly, once the moving statistics (not PyTorch parameters) are left out
    assert counted - 2 * _batch_norm_channels(40, 2) == thesis


def test_the_default_block_is_pre_activation():
    assert resolve(ArchSpec(family="wideresnet")).params["block"] == "preact"
    preact = count_spec(ArchSpec(family="wideresnet", params={"depth": 10, "width": 16}))
    names = [layer.name for layer in preact.layers]
    assert "head_bn" in names and "stage1_block0_post_bn" not in names
    postact = [layer.name for layer in count_spec(_postact(10, 16)).layers]
    assert "head_bn" not in postact and "stage1_block0_post_bn" in postact


def _sources(model, name: str) -> set[str]:
    """Names of the layers whose outputs feed layer `name`."""
    inputs = model.get_layer(name).input
    tensors = inputs if isinstance(inputs, list) else [inputs]
    return {tensor._keras_history.operation.name for tensor in tensors}


def test_blocks_are_conv_bn_relu_then_sum_then_bn_relu():
    model = build_model(_postact(16, 16, all_prunable=True))
    chain = {
        "stem_bn": "stem_conv",
        "stem_relu": "stem_bn",
        "stage1_block0_projection": "stem_relu",
        "stage1_block0_conv1": "stem_relu",
        "stage1_block0_mid_bn": "stage1_block0_conv1",
        "stage1_block0_mid_relu": "stage1_block0_mid_bn",
        "stage1_block0_conv2": "stage1_block0_mid_relu",
        "stage1_block0_post_bn": "stage1_block0_add",
        "stage1_block0_post_relu": "stage1_block0_post_bn",
        "stage1_block1_conv1": "stage1_block0_post_relu",
        "stage2_block0_conv1": "stage1_block1_post_relu",
        "head_pool": "stage3_block1_post_relu",
    }
    for layer, source in chain.items():
        assert _sources(model, layer) == {source}, layer
    assert _sources(model, "stage1_block0_add") == {
        "stage1_block0_conv2",
        "stage1_block0_projection",
    }
    assert _sources(model, "stage1_block1_add") == {
        "stage1_block1_conv2",
        "stage1_block0_post_relu",
    }
    assert not [layer for layer in model.layers if layer.name.endswith("_preact_bn")]


def test_a_removed_block_passes_its_shortcut_on():
    spec = resolve(_postact(10, 16))
    widths = list(spec.widths or [])
    widths[0] = 0
    model = build_model(spec.model_copy(update={"widths": widths}))
    names = {layer.name for layer in model.layers}
    assert "stage1_block0_projection" in names
    assert not {"stage1_block0_conv1", "stage1_block0_add", "stage1_block0_post_bn"} & names
    conv1 = model.get_layer("stage2_block0_conv1")
    assert conv1.input._keras_history.operation.name == "stage1_block0_projection"


def test_bad_block_layouts_are_refused():
    with pytest.raises(ThesislabError, match="block"):
        count_spec(ArchSpec(family="wideresnet", params={"block": "sideways"}))
    with pytest.raises(ThesislabError, match="se_ratio 0"):
        count_spec(_postact(10, 16, se_ratio=4))


@pytest.mark.slow
def test_converts_to_tflite_and_agrees_with_keras():
    model = build_model(_postact(10, 8, dropout=0.3))
    randomize(model)
    batch = images(2)
    expected = model.predict(batch, verbose=0)
    found = outputs(convert(model, Variant("fp32")), batch)
    np.testing.assert_allclose(found, expected, rtol=1e-4, atol=1e-4)
