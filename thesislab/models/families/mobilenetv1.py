"""MobileNetV1 (Howard et al., 2017) for CIFAR-10, as the thesis adapted it.

Layout: a 3x3 conv-BN-ReLU stem with 16 channels; three stages of depth / 3 blocks with `width`,
2 x `width` and 4 x `width` channels, the second and third starting with stride 2 (like a
WideResNet, not like the ImageNet MobileNet); global average pooling, optional dropout, dense
classifier. A block is a 3x3 depthwise conv-BN-ReLU then a 1x1 conv-BN-ReLU, followed by an SE gate
in blocks without stride when `se_ratio` > 0. There are no residual connections.

Prunable layers: the stem and the pointwise convolution of every block (`stage{s}_block{b}`).
"""

from __future__ import annotations

from dataclasses import dataclass

from thesislab.models.blocks import classifier, conv_bn, depthwise_bn, squeeze_excite
from thesislab.models.net import Net, Tensor
from thesislab.models.plan import ArchParams, Plan, PrunableLayer, Widths
from thesislab.models.registry import register
from thesislab.models.stages import STEM_WIDTH, blocks_per_stage, stage_strides, stage_widths


@dataclass(frozen=True)
class Block:
    """One depthwise-separable block and the width of its pointwise convolution."""

    name: str
    stage: int
    strides: int
    pointwise: PrunableLayer


def plan(params: ArchParams) -> Plan[Block]:
    """The blocks and prunable layers of a MobileNetV1."""
    per_stage = blocks_per_stage("mobilenetv1", params.depth)
    stem = PrunableLayer("stem", STEM_WIDTH)
    blocks = tuple(
        Block(
            f"stage{stage}_block{block}",
            stage,
            stage_strides(stage, block),
            PrunableLayer(f"stage{stage}_block{block}", width),
        )
        for stage, width in stage_widths(params.width)
        for block in range(per_stage)
    )
    return Plan(params, stem, blocks, (stem, *(block.pointwise for block in blocks)))


@register(
    "mobilenetv1",
    defaults={"depth": 12, "width": 32, "se_ratio": 0, "dropout": 0.0},
    plan=plan,
    colour="#f28e2b",
)
def mobilenetv1(net: Net[Tensor], image: Tensor, plan: Plan[Block], widths: Widths) -> Tensor:
    """MobileNetV1: depthwise-separable convolutions, no shortcuts."""
    params = plan.params
    x = conv_bn(net, image, widths(plan.stem), 3, name="stem")
    for block in plan.blocks:
        name = block.name
        x = depthwise_bn(net, x, 3, name=f"{name}_depthwise", strides=block.strides, act="relu")
        x = conv_bn(net, x, widths(block.pointwise), 1, name=f"{name}_pointwise")
        if params.se_ratio and block.strides == 1:
            x = squeeze_excite(net, x, params.se_ratio, name=f"{name}_se")
    return classifier(net, x, dropout=params.dropout)
