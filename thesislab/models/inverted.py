"""Networks of MobileNetV2 inverted-residual blocks: the plan MobileNetV2 and MNASNet share.

Layout: a 3x3 conv-BN-ReLU6 stem with 16 channels; three stages of depth / 3 inverted-residual
blocks (1x1 expand, depthwise, linear 1x1 projection; see `layers.inverted_residual`) with `width`,
2 x `width` and 4 x `width` output channels, the second and third starting with stride 2; global
average pooling, optional dropout, dense classifier. A block adds its input back when it has no
stride and, at default widths, as many input as output channels. The families differ in the
expansion ratio of the very first block and in the depthwise kernel sizes.

Prunable layers: the stem, each stage's output (`stage{s}`: every block output of a stage, tied by
the residual sums; the stem joins `stage1` when the first block is residual) and the expansion of
every block (`stage{s}_block{b}_expand`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import keras

from thesislab.models.layers import INPUT_SHAPE, classifier, conv_bn, inverted_residual
from thesislab.models.names import format_name
from thesislab.models.registry import ArchParams, PrunableLayer, configure
from thesislab.models.spec import ArchSpec
from thesislab.models.stages import STEM_WIDTH, blocks_per_stage, stage_strides, stage_widths

KernelSize = Callable[[int, int, int], int]
"""Depthwise kernel size of block `block` of `per_stage` blocks in stage `stage`."""


@dataclass(frozen=True)
class Block:
    """One inverted-residual block of the plan, at default widths."""

    name: str
    stage: int
    strides: int
    kernel_size: int
    expanded: int
    residual: bool


def plan(
    params: ArchParams, family: str, *, first_expansion: int, kernel_size: KernelSize
) -> list[Block]:
    """The blocks of a network, in order; the first block expands `first_expansion`-fold."""
    per_stage = blocks_per_stage(family, params.depth)
    blocks: list[Block] = []
    channels = STEM_WIDTH
    for stage, width in stage_widths(params.width):
        for block in range(per_stage):
            strides = stage_strides(stage, block)
            expansion = first_expansion if not blocks else params.expansion
            blocks.append(
                Block(
                    name=f"stage{stage}_block{block}",
                    stage=stage,
                    strides=strides,
                    kernel_size=kernel_size(stage, block, per_stage),
                    expanded=expansion * channels,
                    residual=strides == 1 and channels == width,
                )
            )
            channels = width
    return blocks


def layout(params: ArchParams, blocks: list[Block]) -> list[PrunableLayer]:
    """Prunable layers of the planned network, in network order."""
    layers = [] if blocks[0].residual else [PrunableLayer("stem", STEM_WIDTH)]
    for stage, width in stage_widths(params.width):
        layers.append(PrunableLayer(f"stage{stage}", width))
        layers += [
            PrunableLayer(f"{block.name}_expand", block.expanded)
            for block in blocks
            if block.stage == stage
        ]
    return layers


def build(spec: ArchSpec, family: str, blocks: Callable[[ArchParams], list[Block]]) -> keras.Model:
    """Build the spec's network from the `blocks` its parameters plan."""
    params, widths = configure(spec, family)
    inputs = keras.Input(INPUT_SHAPE, name="image")
    x = conv_bn(inputs, widths.get("stem", widths["stage1"]), 3, name="stem", act="relu6")
    for block in blocks(params):
        x = inverted_residual(
            x,
            expanded=widths[f"{block.name}_expand"],
            out=widths[f"stage{block.stage}"],
            kernel_size=block.kernel_size,
            strides=block.strides,
            se_ratio=params.se_ratio,
            residual=block.residual,
            name=block.name,
        )
    return keras.Model(inputs, classifier(x, dropout=params.dropout), name=format_name(spec))
