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

from dataclasses import dataclass

from thesislab.models.blocks import classifier, conv_bn, depthwise_bn, squeeze_excite
from thesislab.models.net import Net, Tensor
from thesislab.models.plan import ArchParams, Plan, PrunableLayer, Widths
from thesislab.models.registry import register
from thesislab.models.stages import STEM_WIDTH, blocks_per_stage, stage_strides, stage_widths


@dataclass(frozen=True)
class Unit:
    """One unit: its bottleneck, its output and whether it splits its input."""

    name: str
    stage: int
    strides: int
    bottleneck: PrunableLayer
    out: PrunableLayer
    split: bool
    """No stride and, at default widths, an input as wide as the output."""


def plan(params: ArchParams) -> Plan[Unit]:
    """The units and prunable layers of a ShuffleNetV2."""
    per_stage = blocks_per_stage("shufflenetv2", params.depth)
    stem = PrunableLayer("stem", STEM_WIDTH)
    stem_splits = params.width == STEM_WIDTH
    layers = [] if stem_splits else [stem]
    units: list[Unit] = []
    for stage, width in stage_widths(params.width):
        out = PrunableLayer(f"stage{stage}", width, multiple_of=2)
        layers.append(out)
        for block in range(per_stage):
            name = f"stage{stage}_block{block}"
            bottleneck = PrunableLayer(f"{name}_bottleneck", width // 4)
            layers.append(bottleneck)
            split = block > 0 or (stage == 1 and stem_splits)
            units.append(Unit(name, stage, stage_strides(stage, block), bottleneck, out, split))
    return Plan(params, units[0].out if stem_splits else stem, tuple(units), tuple(layers))


def _unit(net: Net[Tensor], x: Tensor, unit: Unit, widths: Widths, se_ratio: int) -> Tensor:
    name, strides, out = unit.name, unit.strides, widths(unit.out)
    half = out // 2
    if unit.split:
        main = net.slice(x, 0, half, name=f"{name}_split_main")
        side = net.slice(x, half, out, name=f"{name}_split_pass")
    else:
        main = x
        side = depthwise_bn(net, x, 3, name=f"{name}_side_depthwise", strides=strides)
        side = conv_bn(net, side, out - half, 1, name=f"{name}_side_pointwise")
    main = conv_bn(net, main, widths(unit.bottleneck), 1, name=f"{name}_compress")
    main = depthwise_bn(net, main, 3, name=f"{name}_depthwise", strides=strides)
    main = conv_bn(net, main, half, 1, name=f"{name}_expand")
    if se_ratio and strides == 1:
        main = squeeze_excite(net, main, se_ratio, name=f"{name}_se")
    x = net.concat([main, side], name=f"{name}_concat")
    return net.shuffle(x, 2, name=f"{name}_shuffle")


@register(
    "shufflenetv2",
    defaults={"depth": 12, "width": 32, "se_ratio": 0, "dropout": 0.0},
    plan=plan,
    colour="#edc948",
)
def shufflenetv2(net: Net[Tensor], image: Tensor, plan: Plan[Unit], widths: Widths) -> Tensor:
    """ShuffleNetV2: channel split, two branches, channel shuffle."""
    x = conv_bn(net, image, widths(plan.stem), 3, name="stem")
    for unit in plan.blocks:
        x = _unit(net, x, unit, widths, plan.params.se_ratio)
    return classifier(net, x, dropout=plan.params.dropout)
