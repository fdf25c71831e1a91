"""MobileNetV1 (Howard et al., 2017) for CIFAR-10, as the thesis adapted it.

Layout: a 3x3 conv-BN-ReLU stem with 16 channels; three stages of depth / 3 blocks with `width`,
2 x `width` and 4 x `width` channels, the second and third starting with stride 2 (like a
WideResNet, not like the ImageNet MobileNet); global average pooling, optional dropout, dense
classifier. A block is a 3x3 depthwise conv-BN-ReLU then a 1x1 conv-BN-ReLU, followed by an SE gate
in blocks without stride when `se_ratio` > 0. There are no residual connections.

Prunable layers: the stem and the pointwise convolution of every block (`stage{s}_block{b}`).
"""

from __future__ import annotations

import keras

from thesislab.models.layers import INPUT_SHAPE, classifier, conv_bn, depthwise_bn, squeeze_excite
from thesislab.models.names import format_name
from thesislab.models.registry import ArchParams, PrunableLayer, configure, register
from thesislab.models.spec import ArchSpec
from thesislab.models.stages import STEM_WIDTH, blocks_per_stage, stage_strides, stage_widths


def _layout(params: ArchParams) -> list[PrunableLayer]:
    per_stage = blocks_per_stage("mobilenetv1", params.depth)
    return [PrunableLayer("stem", STEM_WIDTH)] + [
        PrunableLayer(f"stage{stage}_block{block}", width)
        for stage, width in stage_widths(params.width)
        for block in range(per_stage)
    ]


@register(
    "mobilenetv1",
    defaults={"depth": 12, "width": 32, "se_ratio": 0, "dropout": 0.0},
    layout=_layout,
)
def mobilenetv1(spec: ArchSpec) -> keras.Model:
    """MobileNetV1: depthwise-separable convolutions, no shortcuts."""
    params, widths = configure(spec, "mobilenetv1")
    inputs = keras.Input(INPUT_SHAPE, name="image")
    x = conv_bn(inputs, widths["stem"], 3, name="stem")
    for stage, _ in stage_widths(params.width):
        for block in range(blocks_per_stage("mobilenetv1", params.depth)):
            name = f"stage{stage}_block{block}"
            strides = stage_strides(stage, block)
            x = depthwise_bn(x, 3, name=f"{name}_depthwise", strides=strides, act="relu")
            x = conv_bn(x, widths[name], 1, name=f"{name}_pointwise")
            if params.se_ratio and strides == 1:
                x = squeeze_excite(x, params.se_ratio, name=f"{name}_se")
    return keras.Model(inputs, classifier(x, dropout=params.dropout), name=format_name(spec))
