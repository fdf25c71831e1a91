"""Wide residual networks (Zagoruyko & Komodakis, 2016), pre-activation, as the thesis built them.

Layout for 32x32 images: a 3x3 stem convolution with 16 channels; three stages of
n = (depth - 4) / 6 blocks with `width`, 2 x `width` and 4 x `width` channels, the second and third
starting with stride 2; then BN-ReLU, global average pooling and the dense classifier. WRN-40-2 is
depth 40, width 32. A block is BN-ReLU-conv3x3-BN-ReLU[-dropout]-conv3x3 plus a shortcut: a 1x1
projection of the pre-activated input in the first block of every stage (even where the width does
not change, as in the thesis's builders), the identity elsewhere.

Prunable layers: the first convolution of every block, `stage{s}_block{b}_conv1`; a width of 0
removes the block (the first block of a stage then keeps only its projection). With
`all_prunable` — the thesis's "all layers prunable" WideResNet, which NetAdapt, MorphNet and the
latency-table Fisher pruning narrowed — the stem and each stage's output (`stem`, `stage{s}`: the
projection and second convolutions of a stage, tied by the residual sums) are prunable as well, so
a stage's blocks can output fewer channels than its default width and than their inner layers.

SE (`se_ratio` > 0): as in the thesis's builder, the gate rescales the shortcut branch of every
block without stride (an SE-ResNet gates the residual branch instead).
"""

from __future__ import annotations

import keras
from keras import layers

from thesislab.errors import ThesislabError
from thesislab.models.layers import INPUT_SHAPE, Tensor, bn_relu, classifier, conv, squeeze_excite
from thesislab.models.names import format_name
from thesislab.models.registry import ArchParams, PrunableLayer, configure, register
from thesislab.models.spec import ArchSpec
from thesislab.models.stages import STEM_WIDTH, stage_strides, stage_widths


def wrn_blocks_per_stage(depth: int) -> int:
    """n of a WRN of standard depth 6n + 4; `ThesislabError` for any other depth."""
    if depth < 10 or (depth - 4) % 6:
        raise ThesislabError(
            f"wideresnet: depth must be 6n + 4 with n >= 1 (10, 16, 22, 28, 40, ...), got {depth}"
        )
    return (depth - 4) // 6


def _layout(params: ArchParams) -> list[PrunableLayer]:
    layout = [PrunableLayer("stem", STEM_WIDTH)] if params.all_prunable else []
    for stage, width in stage_widths(params.width):
        if params.all_prunable:
            layout.append(PrunableLayer(f"stage{stage}", width))
        layout += [
            PrunableLayer(f"stage{stage}_block{block}_conv1", width, removable=True)
            for block in range(wrn_blocks_per_stage(params.depth))
        ]
    return layout


def _conv(x: Tensor, filters: int, kernel_size: int, *, name: str, strides: int = 1) -> Tensor:
    """A convolution with the He (fan-out) initialisation of the original WRN code."""
    initializer = keras.initializers.VarianceScaling(scale=2.0, mode="fan_out")
    return conv(x, filters, kernel_size, name=name, strides=strides, kernel_initializer=initializer)


def _block(
    x: Tensor,
    *,
    inner: int,
    out: int,
    strides: int,
    first: bool,
    params: ArchParams,
    name: str,
) -> Tensor:
    if first:
        x = bn_relu(x, name=f"{name}_preact")
        shortcut = _conv(x, out, 1, strides=strides, name=f"{name}_projection")
        if inner == 0:
            return shortcut
        residual = x
    else:
        if inner == 0:
            return x
        shortcut = x
        residual = bn_relu(x, name=f"{name}_preact")
    residual = _conv(residual, inner, 3, strides=strides, name=f"{name}_conv1")
    residual = bn_relu(residual, name=f"{name}_mid")
    if params.dropout:
        residual = layers.Dropout(params.dropout, name=f"{name}_dropout")(residual)
    residual = _conv(residual, out, 3, name=f"{name}_conv2")
    if params.se_ratio and strides == 1:
        shortcut = squeeze_excite(shortcut, params.se_ratio, name=f"{name}_se")
    return layers.Add(name=f"{name}_add")([residual, shortcut])


@register(
    "wideresnet",
    defaults={"depth": 40, "width": 32, "se_ratio": 0, "dropout": 0.0, "all_prunable": False},
    layout=_layout,
)
def wideresnet(spec: ArchSpec) -> keras.Model:
    """Pre-activation wide residual network; WRN-d-k is depth d, width 16k."""
    params, widths = configure(spec, "wideresnet")
    inputs = keras.Input(INPUT_SHAPE, name="image")
    x = _conv(inputs, widths.get("stem", STEM_WIDTH), 3, name="stem_conv")
    for stage, width in stage_widths(params.width):
        out = widths.get(f"stage{stage}", width)
        for block in range(wrn_blocks_per_stage(params.depth)):
            x = _block(
                x,
                inner=widths[f"stage{stage}_block{block}_conv1"],
                out=out,
                strides=stage_strides(stage, block),
                first=block == 0,
                params=params,
                name=f"stage{stage}_block{block}",
            )
    x = bn_relu(x, name="head")
    return keras.Model(inputs, classifier(x, dropout=0.0), name=format_name(spec))
