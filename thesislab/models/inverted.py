"""Networks of MobileNetV2 inverted-residual blocks: the plan MobileNetV2 and MNASNet share.

Layout: a 3x3 conv-BN-ReLU6 stem with 16 channels; three stages of depth / 3 inverted-residual
blocks (1x1 expand, depthwise, linear 1x1 projection; see `blocks.inverted_residual`) with `width`,
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

from thesislab.models.blocks import classifier, conv_bn, inverted_residual
from thesislab.models.net import Net, Tensor
from thesislab.models.plan import ArchParams, Plan, PrunableLayer, Widths
from thesislab.models.stages import STEM_WIDTH, blocks_per_stage, stage_strides, stage_widths

KernelSize = Callable[[int, int, int], int]
"""Depthwise kernel size of block `block` of `per_stage` blocks in stage `stage`."""


@dataclass(frozen=True)
class Block:
    """One inverted-residual block of the plan."""

    name: str
    stage: int
    strides: int
    kernel_size: int
    expand: PrunableLayer
    out: PrunableLayer
    residual: bool


def plan(
    params: ArchParams, family: str, *, first_expansion: int, kernel_size: KernelSize
) -> Plan[Block]:
    """The blocks of a network, in order; the first block expands `first_expansion`-fold."""
    per_stage = blocks_per_stage(family, params.depth)
    blocks: list[Block] = []
    layers: list[PrunableLayer] = []
    channels = STEM_WIDTH
    for stage, width in stage_widths(params.width):
        out = PrunableLayer(f"stage{stage}", width)
        layers.append(out)
        for block in range(per_stage):
            name = f"stage{stage}_block{block}"
            strides = stage_strides(stage, block)
            expansion = first_expansion if not blocks else params.expansion
            expand = PrunableLayer(f"{name}_expand", expansion * channels)
            layers.append(expand)
            residual = strides == 1 and channels == width
            size = kernel_size(stage, block, per_stage)
            blocks.append(Block(name, stage, strides, size, expand, out, residual))
            channels = width
    stem = layers[0] if blocks[0].residual else PrunableLayer("stem", STEM_WIDTH)
    if stem is not layers[0]:
        layers.insert(0, stem)
    return Plan(params, stem, tuple(blocks), tuple(layers))


def build(net: Net[Tensor], image: Tensor, plan: Plan[Block], widths: Widths) -> Tensor:
    """The network of an inverted-residual plan, up to its logits."""
    x = conv_bn(net, image, widths(plan.stem), 3, name="stem", act="relu6")
    for block in plan.blocks:
        x = inverted_residual(
            net,
            x,
            expanded=widths(block.expand),
            out=widths(block.out),
            kernel_size=block.kernel_size,
            strides=block.strides,
            se_ratio=plan.params.se_ratio,
            residual=block.residual,
            name=block.name,
        )
    return classifier(net, x, dropout=plan.params.dropout)
