"""SqueezeNext (Gholami et al., 2018) for CIFAR-10, as the thesis adapted it.

Layout: a 3x3 conv-BN-ReLU stem with 16 channels; three stages of depth / 3 blocks with `width`,
2 x `width` and 4 x `width` channels, the second and third starting with stride 2; global average
pooling, optional dropout, dense classifier.

A block (every convolution followed by BN and ReLU) squeezes its input with two 1x1 convolutions to
half then a quarter of its output width (the first one strided in a stride-2 block), applies a 3x1
and a 1x3 convolution to half the output width (the order alternates from one block to the next,
3x1 first in the very first block), expands back with a 1x1 convolution and adds the shortcut:
a 1x1 conv-BN-ReLU projection in the first block of every stage, the identity elsewhere.

Prunable layers: the stem, each stage's output (`stage{s}`, tied by the residual sums) and the four
inner widths of every block (`stage{s}_block{b}_squeeze1`, `_squeeze2`, `_separable1`,
`_separable2`).
"""

from __future__ import annotations

import keras
from keras import layers

from thesislab.models.layers import INPUT_SHAPE, Tensor, classifier, conv_bn
from thesislab.models.names import format_name
from thesislab.models.registry import ArchParams, PrunableLayer, configure, register
from thesislab.models.spec import ArchSpec
from thesislab.models.stages import STEM_WIDTH, blocks_per_stage, stage_strides, stage_widths

INNER_LAYERS = (("squeeze1", 2), ("squeeze2", 4), ("separable1", 2), ("separable2", 2))
"""The inner convolutions of a block, with the factor their default width is below the output's."""


def _layout(params: ArchParams) -> list[PrunableLayer]:
    layout = [PrunableLayer("stem", STEM_WIDTH)]
    for stage, width in stage_widths(params.width):
        layout.append(PrunableLayer(f"stage{stage}", width))
        layout += [
            PrunableLayer(f"stage{stage}_block{block}_{layer}", max(width // factor, 1))
            for block in range(blocks_per_stage("squeezenext", params.depth))
            for layer, factor in INNER_LAYERS
        ]
    return layout


def _block(
    x: Tensor,
    *,
    inner: dict[str, int],
    out: int,
    strides: int,
    project: bool,
    vertical_first: bool,
    name: str,
) -> Tensor:
    shortcut = conv_bn(x, out, 1, name=f"{name}_projection", strides=strides) if project else x
    x = conv_bn(x, inner["squeeze1"], 1, name=f"{name}_squeeze1", strides=strides)
    x = conv_bn(x, inner["squeeze2"], 1, name=f"{name}_squeeze2")
    kernels = [(3, 1), (1, 3)] if vertical_first else [(1, 3), (3, 1)]
    x = conv_bn(x, inner["separable1"], kernels[0], name=f"{name}_separable1")
    x = conv_bn(x, inner["separable2"], kernels[1], name=f"{name}_separable2")
    x = conv_bn(x, out, 1, name=f"{name}_expand")
    return layers.Add(name=f"{name}_add")([x, shortcut])


@register(
    "squeezenext",
    defaults={"depth": 3, "width": 32, "dropout": 0.0},
    layout=_layout,
)
def squeezenext(spec: ArchSpec) -> keras.Model:
    """SqueezeNext: two-stage 1x1 squeeze, separable 3x1/1x3 convolutions, residual sums."""
    params, widths = configure(spec, "squeezenext")
    inputs = keras.Input(INPUT_SHAPE, name="image")
    x = conv_bn(inputs, widths["stem"], 3, name="stem")
    per_stage = blocks_per_stage("squeezenext", params.depth)
    for stage, _ in stage_widths(params.width):
        for block in range(per_stage):
            name = f"stage{stage}_block{block}"
            x = _block(
                x,
                inner={layer: widths[f"{name}_{layer}"] for layer, _ in INNER_LAYERS},
                out=widths[f"stage{stage}"],
                strides=stage_strides(stage, block),
                project=block == 0,
                vertical_first=((stage - 1) * per_stage + block) % 2 == 0,
                name=name,
            )
    return keras.Model(inputs, classifier(x, dropout=params.dropout), name=format_name(spec))
