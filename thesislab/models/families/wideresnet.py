"""Wide residual networks (Zagoruyko & Komodakis, 2016), as the thesis built them.

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

`block` picks the block layout: `preact` (default) as above, or `postact`, the post-activation
network the thesis's NetAdapt searched (N/models/wideresnet.py): a stem conv-BN-ReLU, blocks
conv3x3-BN-ReLU[-dropout]-conv3x3, then the sum with the shortcut (a BN-free 1x1 projection of
the block's input, or the identity) and BN-ReLU after the sum; no BN-ReLU before the pooling. A
removed block passes its shortcut on as it is. Post-activation blocks take no SE gate.
"""

from __future__ import annotations

from dataclasses import dataclass

from thesislab.errors import ThesislabError
from thesislab.models.blocks import bn_relu, classifier, squeeze_excite
from thesislab.models.net import Net, Tensor
from thesislab.models.plan import ArchParams, Plan, PrunableLayer, Width, Widths
from thesislab.models.registry import register
from thesislab.models.stages import STEM_WIDTH, stage_strides, stage_widths

BLOCKS = ("preact", "postact")
"""Block layouts: pre-activation (thesislab's and the thesis's training scripts), or the
post-activation network of the thesis's NetAdapt."""


@dataclass(frozen=True)
class Block:
    """One residual block: its inner width (`conv1`) and output width (`out`)."""

    name: str
    stage: int
    strides: int
    projection: bool
    """The shortcut is a 1x1 projection (first block of a stage), else the identity."""
    conv1: PrunableLayer
    out: Width


def wrn_blocks_per_stage(depth: int) -> int:
    """n of a WRN of standard depth 6n + 4; `ThesislabError` for any other depth."""
    if depth < 10 or (depth - 4) % 6:
        raise ThesislabError(
            f"wideresnet: depth must be 6n + 4 with n >= 1 (10, 16, 22, 28, 40, ...), got {depth}"
        )
    return (depth - 4) // 6


def plan(params: ArchParams) -> Plan[Block]:
    """The blocks and prunable layers of a WideResNet."""
    if params.block not in BLOCKS:
        raise ThesislabError(
            f"wideresnet: expected parameter 'block' to be one of {', '.join(BLOCKS)}, "
            f"received {params.block!r}"
        )
    if params.block == "postact" and params.se_ratio:
        raise ThesislabError(
            f"wideresnet: expected se_ratio 0 with block postact, received {params.se_ratio}"
        )
    stem: Width = PrunableLayer("stem", STEM_WIDTH) if params.all_prunable else STEM_WIDTH
    layers: list[PrunableLayer] = [stem] if isinstance(stem, PrunableLayer) else []
    blocks: list[Block] = []
    for stage, width in stage_widths(params.width):
        out: Width = PrunableLayer(f"stage{stage}", width) if params.all_prunable else width
        if isinstance(out, PrunableLayer):
            layers.append(out)
        for block in range(wrn_blocks_per_stage(params.depth)):
            name = f"stage{stage}_block{block}"
            conv1 = PrunableLayer(f"{name}_conv1", width, removable=True)
            layers.append(conv1)
            blocks.append(Block(name, stage, stage_strides(stage, block), block == 0, conv1, out))
    return Plan(params, stem, tuple(blocks), tuple(layers))


def _block(net: Net[Tensor], x: Tensor, block: Block, widths: Widths, params: ArchParams) -> Tensor:
    inner, out, strides, name = widths(block.conv1), widths(block.out), block.strides, block.name
    if block.projection:
        x = bn_relu(net, x, name=f"{name}_preact")
        shortcut = net.conv(
            x, out, 1, strides=strides, name=f"{name}_projection", initializer="he_fan_out"
        )
        if inner == 0:
            return shortcut
        residual = x
    else:
        if inner == 0:
            return x
        shortcut = x
        residual = bn_relu(net, x, name=f"{name}_preact")
    residual = net.conv(
        residual, inner, 3, strides=strides, name=f"{name}_conv1", initializer="he_fan_out"
    )
    residual = bn_relu(net, residual, name=f"{name}_mid")
    if params.dropout:
        residual = net.dropout(residual, params.dropout, name=f"{name}_dropout")
    residual = net.conv(residual, out, 3, name=f"{name}_conv2", initializer="he_fan_out")
    if params.se_ratio and strides == 1:
        shortcut = squeeze_excite(net, shortcut, params.se_ratio, name=f"{name}_se")
    return net.add([residual, shortcut], name=f"{name}_add")


def _postact_block(
    net: Net[Tensor], x: Tensor, block: Block, widths: Widths, params: ArchParams
) -> Tensor:
    inner, out, strides, name = widths(block.conv1), widths(block.out), block.strides, block.name
    shortcut = x
    if block.projection:
        shortcut = net.conv(
            x, out, 1, strides=strides, name=f"{name}_projection", initializer="he_fan_out"
        )
    if inner == 0:
        return shortcut
    residual = net.conv(
        x, inner, 3, strides=strides, name=f"{name}_conv1", initializer="he_fan_out"
    )
    residual = bn_relu(net, residual, name=f"{name}_mid")
    if params.dropout:
        residual = net.dropout(residual, params.dropout, name=f"{name}_dropout")
    residual = net.conv(residual, out, 3, name=f"{name}_conv2", initializer="he_fan_out")
    added = net.add([residual, shortcut], name=f"{name}_add")
    return bn_relu(net, added, name=f"{name}_post")


@register(
    "wideresnet",
    defaults={
        "depth": 40,
        "width": 32,
        "se_ratio": 0,
        "dropout": 0.0,
        "all_prunable": False,
        "block": "preact",
    },
    plan=plan,
    colour="#4e79a7",
    aliases=("res", "wrn"),
)
def wideresnet(net: Net[Tensor], image: Tensor, plan: Plan[Block], widths: Widths) -> Tensor:
    """Wide residual network; WRN-d-k is depth d, width 16k."""
    x = net.conv(image, widths(plan.stem), 3, name="stem_conv", initializer="he_fan_out")
    if plan.params.block == "postact":
        x = bn_relu(net, x, name="stem")
        for block in plan.blocks:
            x = _postact_block(net, x, block, widths, plan.params)
    else:
        for block in plan.blocks:
            x = _block(net, x, block, widths, plan.params)
        x = bn_relu(net, x, name="head")
    return classifier(net, x, dropout=0.0)
