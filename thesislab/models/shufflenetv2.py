"""ShuffleNetV2 (Ma et al., 2018) for CIFAR-10, as the thesis adapted it.

Layout: a 3x3 conv-BN-ReLU stem with 16 channels; three stages of depth / 3 units with `width`,
2 x `width` and 4 x `width` channels, the second and third starting with stride 2; global average
pooling, optional dropout, dense classifier.

Every unit outputs half its channels from a main branch — 1x1 conv-BN-ReLU to a bottleneck of half
the branch width (a bottleneck the original ShuffleNetV2 does not have), 3x3 depthwise conv-BN, 1x1
conv-BN-ReLU, then an SE gate in units without stride when `se_ratio` > 0 — concatenates the other
half and shuffles the two. A unit whose input is as wide as its output (at default widths) splits
its input: one half feeds the main branch, the other half is passed on unchanged. Any other unit
(stride 2, or the first unit when the stem is narrower than the first stage) feeds its whole input
to the main branch and to a second branch, 3x3 depthwise conv-BN then 1x1 conv-BN-ReLU.

Prunable layers: the stem, each stage's output (`stage{s}`, even; the stem joins `stage1` when the
first unit splits) and the bottleneck of every unit (`stage{s}_block{b}_bottleneck`).
"""

from __future__ import annotations

import keras
from keras import layers

from thesislab.models.layers import (
    INPUT_SHAPE,
    ChannelShuffle,
    ChannelSlice,
    Tensor,
    classifier,
    conv_bn,
    depthwise_bn,
    squeeze_excite,
)
from thesislab.models.names import format_name
from thesislab.models.registry import ArchParams, PrunableLayer, configure, register
from thesislab.models.spec import ArchSpec
from thesislab.models.stages import STEM_WIDTH, blocks_per_stage, stage_strides, stage_widths


def _splits(params: ArchParams, stage: int, block: int) -> bool:
    """Whether a unit splits its input (no stride, input as wide as output at default widths)."""
    return block > 0 or (stage == 1 and params.width == STEM_WIDTH)


def _layout(params: ArchParams) -> list[PrunableLayer]:
    per_stage = blocks_per_stage("shufflenetv2", params.depth)
    layout = [] if _splits(params, 1, 0) else [PrunableLayer("stem", STEM_WIDTH)]
    for stage, width in stage_widths(params.width):
        layout.append(PrunableLayer(f"stage{stage}", width, multiple_of=2))
        layout += [
            PrunableLayer(f"stage{stage}_block{block}_bottleneck", width // 4)
            for block in range(per_stage)
        ]
    return layout


def _unit(
    x: Tensor, *, bottleneck: int, out: int, strides: int, split: bool, se_ratio: int, name: str
) -> Tensor:
    half = out // 2
    if split:
        main = ChannelSlice(0, half, name=f"{name}_split_main")(x)
        side = ChannelSlice(half, out, name=f"{name}_split_pass")(x)
    else:
        main = x
        side = depthwise_bn(x, 3, name=f"{name}_side_depthwise", strides=strides)
        side = conv_bn(side, out - half, 1, name=f"{name}_side_pointwise")
    main = conv_bn(main, bottleneck, 1, name=f"{name}_compress")
    main = depthwise_bn(main, 3, name=f"{name}_depthwise", strides=strides)
    main = conv_bn(main, half, 1, name=f"{name}_expand")
    if se_ratio and strides == 1:
        main = squeeze_excite(main, se_ratio, name=f"{name}_se")
    x = layers.Concatenate(name=f"{name}_concat")([main, side])
    return ChannelShuffle(2, name=f"{name}_shuffle")(x)


@register(
    "shufflenetv2",
    defaults={"depth": 12, "width": 32, "se_ratio": 0, "dropout": 0.0},
    layout=_layout,
)
def shufflenetv2(spec: ArchSpec) -> keras.Model:
    """ShuffleNetV2: channel split, two branches, channel shuffle."""
    params, widths = configure(spec, "shufflenetv2")
    inputs = keras.Input(INPUT_SHAPE, name="image")
    x = conv_bn(inputs, widths.get("stem", widths["stage1"]), 3, name="stem")
    for stage, _ in stage_widths(params.width):
        for block in range(blocks_per_stage("shufflenetv2", params.depth)):
            name = f"stage{stage}_block{block}"
            x = _unit(
                x,
                bottleneck=widths[f"{name}_bottleneck"],
                out=widths[f"stage{stage}"],
                strides=stage_strides(stage, block),
                split=_splits(params, stage, block),
                se_ratio=params.se_ratio,
                name=name,
            )
    return keras.Model(inputs, classifier(x, dropout=params.dropout), name=format_name(spec))
