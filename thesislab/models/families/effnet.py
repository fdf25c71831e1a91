"""EffNet (Freeman et al., 2018) for CIFAR-10, as the thesis adapted it.

Layout: a 1x1 conv-BN-ReLU stem with `width` channels, then three stages that each end by halving
the resolution (32 -> 16 -> 8 -> 4) and doubling the channels (2 x, 4 x, 8 x `width`), then the
4x4 feature map is flattened (no global pooling) into the dense classifier.

A block is a 1x1 conv-BN-leaky-ReLU to its bottleneck width, a 1x3 depthwise conv-BN-ReLU, a 3x1
depthwise conv-BN-ReLU. In the last block of a stage, a 1x2 max pooling sits between the two
depthwise convolutions, and a 2x1 convolution with stride (2, 1) to the stage's output width,
BN and leaky ReLU (slope 0.3) follow them. The bottleneck of stage s is max(c * expansion / 2, 6),
c being the stage's input width at default widths; a block that does not downsample keeps its
bottleneck width as output.

The stages have 1, 1 and 2 blocks whatever `depth` says: the thesis's builder meant depth / 3 blocks
per stage, but a loop bound made it build this fixed depth, and the thesis trained and timed that
network (its `effnet_d12_w32_e4` runs in 21.5 ms on the Raspberry Pi, in line with the 17.5 M MACs
built here, not with the 53 M MACs of 4 blocks per stage). `depth` must still be a multiple of 3,
as the thesis required, and stays in the name.

Prunable layers: the stem, the bottleneck of every block (`stage{s}_block{b}`) and each stage's
output (`stage{s}`). There are no residual connections.
"""

from __future__ import annotations

from dataclasses import dataclass

from thesislab.models.blocks import classifier, conv_bn, depthwise_bn
from thesislab.models.net import Net, Tensor
from thesislab.models.plan import ArchParams, Plan, PrunableLayer, Widths
from thesislab.models.registry import register
from thesislab.models.stages import STAGES, blocks_per_stage

MIN_BOTTLENECK = 6
BLOCKS_PER_STAGE = (1, 1, 2)
"""The thesis's effective EffNet depth (see the module docstring)."""


@dataclass(frozen=True)
class Block:
    """One block: its bottleneck, and the output of the stage when it downsamples."""

    name: str
    stage: int
    bottleneck: PrunableLayer
    downsample: PrunableLayer | None


def plan(params: ArchParams) -> Plan[Block]:
    """The blocks and prunable layers of an EffNet."""
    blocks_per_stage("effnet", params.depth)  # checks that depth is a multiple of 3
    stem = PrunableLayer("stem", params.width)
    layers = [stem]
    blocks = []
    for stage, count in zip(STAGES, BLOCKS_PER_STAGE, strict=True):
        stage_input = params.width * 2 ** (stage - 1)
        bottleneck_width = max(stage_input * params.expansion // 2, MIN_BOTTLENECK)
        out = PrunableLayer(f"stage{stage}", 2 * stage_input)
        for block in range(count):
            name = f"stage{stage}_block{block}"
            bottleneck = PrunableLayer(name, bottleneck_width)
            layers.append(bottleneck)
            blocks.append(Block(name, stage, bottleneck, out if block == count - 1 else None))
        layers.append(out)
    return Plan(params, stem, tuple(blocks), tuple(layers))


def _block(net: Net[Tensor], x: Tensor, block: Block, widths: Widths) -> Tensor:
    name = block.name
    x = conv_bn(net, x, widths(block.bottleneck), 1, name=f"{name}_pointwise", act="leaky_relu")
    x = depthwise_bn(net, x, (1, 3), name=f"{name}_depthwise_1x3", act="relu")
    if block.downsample is not None:
        x = net.pool(x, "max", (1, 2), strides=(1, 2), name=f"{name}_pool")
    x = depthwise_bn(net, x, (3, 1), name=f"{name}_depthwise_3x1", act="relu")
    if block.downsample is not None:
        x = conv_bn(
            net,
            x,
            widths(block.downsample),
            (2, 1),
            name=f"{name}_downsample",
            strides=(2, 1),
            act="leaky_relu",
        )
    return x


@register(
    "effnet",
    defaults={"depth": 3, "width": 32, "expansion": 2, "dropout": 0.0},
    plan=plan,
    colour="#b07aa1",
    tokens=(("depth", "d"), ("width", "w"), ("expansion", "e")),
)
def effnet(net: Net[Tensor], image: Tensor, plan: Plan[Block], widths: Widths) -> Tensor:
    """EffNet: spatially separable depthwise convolutions, strided 2x1 convolutions."""
    x = conv_bn(net, image, widths(plan.stem), 1, name="stem")
    for block in plan.blocks:
        x = _block(net, x, block, widths)
    return classifier(net, x, dropout=plan.params.dropout, pool=False)
