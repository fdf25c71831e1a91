"""ShuffleNetV1 (Zhang et al., 2018) for CIFAR-10, as the thesis adapted it.

Layout: a 3x3 conv-BN-ReLU stem with 24 channels (divisible by the usual group counts); three
stages of depth / 3 units, the second and third starting with a stride-2 unit; global average
pooling, optional dropout, dense classifier. A unit is a grouped 1x1 conv-BN-ReLU to a quarter of
its output width, a channel shuffle, a 3x3 depthwise conv-BN (stride 1 or 2), a grouped 1x1 conv-BN
back to the output width, then: in a stride-2 unit, concatenation with a 3x3 average pooling of the
input (so the unit doubles the channels: its convolution branch outputs as many as it takes in);
in a unit whose input is as wide as its output (at default widths), the sum with the input; a ReLU
last. Stages therefore have `width`, 2 x `width` and 4 x `width` channels, as elsewhere.

Prunable layers (all multiples of `groups`): the stem, the output of the first stage (`stage1`,
tied by its residual sums; the stem joins it when the first unit is residual), the convolution
branch of each stride-2 unit (`stage{s}_block0_branch`: the stage's width is that plus the previous
stage's) and the bottleneck of every unit (`stage{s}_block{b}_bottleneck`).
"""

from __future__ import annotations

import keras
from keras import layers

from thesislab.models.layers import (
    INPUT_SHAPE,
    ChannelShuffle,
    Tensor,
    classifier,
    conv_bn,
    depthwise_bn,
)
from thesislab.models.names import format_name
from thesislab.models.registry import ArchParams, PrunableLayer, configure, register
from thesislab.models.spec import ArchSpec
from thesislab.models.stages import blocks_per_stage, stage_strides, stage_widths

STEM_WIDTH = 24


def _stem_is_residual(params: ArchParams) -> bool:
    return params.width == STEM_WIDTH


def _layout(params: ArchParams) -> list[PrunableLayer]:
    per_stage = blocks_per_stage("shufflenetv1", params.depth)
    groups = params.groups
    layout = [] if _stem_is_residual(params) else [PrunableLayer("stem", STEM_WIDTH, groups)]
    for stage, width in stage_widths(params.width):
        if stage == 1:
            layout.append(PrunableLayer("stage1", width, groups))
        else:
            layout.append(PrunableLayer(f"stage{stage}_block0_branch", width // 2, groups))
        for block in range(per_stage):
            out = width // 2 if stage_strides(stage, block) == 2 else width
            layout.append(PrunableLayer(f"stage{stage}_block{block}_bottleneck", out // 4, groups))
    return layout


def _unit(
    x: Tensor, *, bottleneck: int, out: int, strides: int, residual: bool, groups: int, name: str
) -> Tensor:
    shortcut = x
    x = conv_bn(x, bottleneck, 1, name=f"{name}_compress", groups=groups)
    if groups > 1:
        x = ChannelShuffle(groups, name=f"{name}_shuffle")(x)
    x = depthwise_bn(x, 3, name=f"{name}_depthwise", strides=strides)
    x = conv_bn(x, out, 1, name=f"{name}_expand", groups=groups, act=None)
    if strides == 2:
        pooled = layers.AveragePooling2D(3, strides=2, padding="same", name=f"{name}_pool")(
            shortcut
        )
        x = layers.Concatenate(name=f"{name}_concat")([x, pooled])
    elif residual:
        x = layers.Add(name=f"{name}_add")([x, shortcut])
    return layers.ReLU(name=f"{name}_relu")(x)


@register(
    "shufflenetv1",
    defaults={"depth": 12, "width": 32, "groups": 2, "dropout": 0.0},
    layout=_layout,
)
def shufflenetv1(spec: ArchSpec) -> keras.Model:
    """ShuffleNetV1: grouped pointwise convolutions with channel shuffles."""
    params, widths = configure(spec, "shufflenetv1")
    inputs = keras.Input(INPUT_SHAPE, name="image")
    x = conv_bn(inputs, widths.get("stem", widths["stage1"]), 3, name="stem")
    stage_width = widths["stage1"]
    for stage, _ in stage_widths(params.width):
        for block in range(blocks_per_stage("shufflenetv1", params.depth)):
            name = f"stage{stage}_block{block}"
            strides = stage_strides(stage, block)
            out = stage_width
            if strides == 2:
                out = widths[f"{name}_branch"]
                stage_width += out
            x = _unit(
                x,
                bottleneck=widths[f"{name}_bottleneck"],
                out=out,
                strides=strides,
                residual=block > 0 or _stem_is_residual(params),
                groups=params.groups,
                name=name,
            )
    return keras.Model(inputs, classifier(x, dropout=params.dropout), name=format_name(spec))
