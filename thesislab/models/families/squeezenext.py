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

from dataclasses import dataclass

from thesislab.models.blocks import classifier, conv_bn
from thesislab.models.net import Net, Tensor
from thesislab.models.plan import ArchParams, Plan, PrunableLayer, Widths
from thesislab.models.registry import register
from thesislab.models.stages import STEM_WIDTH, blocks_per_stage, stage_strides, stage_widths

INNER_LAYERS = (("squeeze1", 2), ("squeeze2", 4), ("separable1", 2), ("separable2", 2))
"""The inner convolutions of a block, with the factor their default width is below the output's."""


@dataclass(frozen=True)
class Block:
    """One block: its four inner widths, its output and the kernels of its separable pair."""

    name: str
    stage: int
    strides: int
    projection: bool
    separable_kernels: tuple[tuple[int, int], tuple[int, int]]
    squeeze1: PrunableLayer
    squeeze2: PrunableLayer
    separable1: PrunableLayer
    separable2: PrunableLayer
    out: PrunableLayer


def plan(params: ArchParams) -> Plan[Block]:
    """The blocks and prunable layers of a SqueezeNext."""
    per_stage = blocks_per_stage("squeezenext", params.depth)
    stem = PrunableLayer("stem", STEM_WIDTH)
    layers = [stem]
    blocks = []
    for stage, width in stage_widths(params.width):
        out = PrunableLayer(f"stage{stage}", width)
        layers.append(out)
        for block in range(per_stage):
            name = f"stage{stage}_block{block}"
            squeeze1, squeeze2, separable1, separable2 = (
                PrunableLayer(f"{name}_{layer}", max(width // factor, 1))
                for layer, factor in INNER_LAYERS
            )
            layers += [squeeze1, squeeze2, separable1, separable2]
            vertical_first = ((stage - 1) * per_stage + block) % 2 == 0
            blocks.append(
                Block(
                    name,
                    stage,
                    stage_strides(stage, block),
                    projection=block == 0,
                    separable_kernels=((3, 1), (1, 3)) if vertical_first else ((1, 3), (3, 1)),
                    squeeze1=squeeze1,
                    squeeze2=squeeze2,
                    separable1=separable1,
                    separable2=separable2,
                    out=out,
                )
            )
    return Plan(params, stem, tuple(blocks), tuple(layers))


def _block(net: Net[Tensor], x: Tensor, block: Block, widths: Widths) -> Tensor:
    name, strides, out = block.name, block.strides, widths(block.out)
    shortcut = x
    if block.projection:
        shortcut = conv_bn(net, x, out, 1, name=f"{name}_projection", strides=strides)
    x = conv_bn(net, x, widths(block.squeeze1), 1, name=f"{name}_squeeze1", strides=strides)
    x = conv_bn(net, x, widths(block.squeeze2), 1, name=f"{name}_squeeze2")
    first, second = block.separable_kernels
    x = conv_bn(net, x, widths(block.separable1), first, name=f"{name}_separable1")
    x = conv_bn(net, x, widths(block.separable2), second, name=f"{name}_separable2")
    x = conv_bn(net, x, out, 1, name=f"{name}_expand")
    return net.add([x, shortcut], name=f"{name}_add")


@register(
    "squeezenext",
    defaults={"depth": 3, "width": 32, "dropout": 0.0},
    plan=plan,
    colour="#ff9da7",
)
def squeezenext(net: Net[Tensor], image: Tensor, plan: Plan[Block], widths: Widths) -> Tensor:
    """SqueezeNext: two-stage 1x1 squeeze, separable 3x1/1x3 convolutions, residual sums."""
    x = conv_bn(net, image, widths(plan.stem), 3, name="stem")
    for block in plan.blocks:
        x = _block(net, x, block, widths)
    return classifier(net, x, dropout=plan.params.dropout)
