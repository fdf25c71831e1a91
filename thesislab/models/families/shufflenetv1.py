"""ShuffleNetV1 (Zhang et al., 2018) for CIFAR-10, as the thesis adapted it.

Layout: a 3x3 conv-BN-ReLU stem with 24 channels (divisible by the usual group counts); three
stages of depth / 3 units, the second and third starting with a stride-2 unit; global average
pooling, optional dropout, dense classifier. A unit is a grouped 1x1 conv-BN-ReLU to a quarter of
its output width, a channel shuffle, a 3x3 depthwise conv-BN (stride 1 or 2), a grouped 1x1 conv-BN
back to the output width, then: in a stride-2 unit, concatenation with a 3x3 average pooling of the
input (so the unit doubles the channels: its convolution branch outputs as many as it takes in);
in a unit whose input is as wide as its output (at default widths), the sum with the input; a ReLU
last. Stages therefore have `width`, 2 x `width` and 4 x `width` channels, as elsewhere.

`grouped_conv` says how a grouped 1x1 convolution is built: `groups` (default) is one Conv2D with
`groups=groups`; `slices` is the thesis's variant (its `models/commons.py`): the input cut into
`groups` channel slices, the last taking the leftover channels, one Conv2D on each slice, and the
outputs concatenated. Both compute the same function; their TFLite graphs and latencies differ.

Prunable layers (all multiples of `groups`): the stem, the output of the first stage (`stage1`,
tied by its residual sums; the stem joins it when the first unit is residual), the convolution
branch of each stride-2 unit (`stage{s}_block0_branch`: the stage's width is that plus the previous
stage's) and the bottleneck of every unit (`stage{s}_block{b}_bottleneck`).
"""

from __future__ import annotations

from dataclasses import dataclass

from thesislab.errors import ThesislabError
from thesislab.models.blocks import activation, classifier, conv_bn, depthwise_bn
from thesislab.models.net import Activation, Net, Tensor
from thesislab.models.plan import ArchParams, Plan, PrunableLayer, Widths
from thesislab.models.registry import register
from thesislab.models.stages import blocks_per_stage, stage_strides, stage_widths

STEM_WIDTH = 24
GROUPED_CONVS = ("groups", "slices")


@dataclass(frozen=True)
class Unit:
    """One unit: its bottleneck and the output of its convolution branch, the sum of `branch`."""

    name: str
    stage: int
    strides: int
    bottleneck: PrunableLayer
    branch: tuple[PrunableLayer, ...]
    residual: bool
    """The input is added back (a stride-2 unit concatenates a pooling of it instead)."""


def plan(params: ArchParams) -> Plan[Unit]:
    """The units and prunable layers of a ShuffleNetV1."""
    if params.grouped_conv not in GROUPED_CONVS:
        raise ThesislabError(
            f"shufflenetv1: parameter 'grouped_conv' must be one of {', '.join(GROUPED_CONVS)}, "
            f"got {params.grouped_conv!r}"
        )
    per_stage = blocks_per_stage("shufflenetv1", params.depth)
    groups = params.groups
    stem = PrunableLayer("stem", STEM_WIDTH, groups)
    stem_is_residual = params.width == STEM_WIDTH
    layers = [] if stem_is_residual else [stem]
    units: list[Unit] = []
    stage_width: tuple[PrunableLayer, ...] = ()
    for stage, width in stage_widths(params.width):
        if stage == 1:
            stage_width = (PrunableLayer("stage1", width, groups),)
        else:  # a stride-2 unit's branch widens the stage by its own width
            stage_width += (PrunableLayer(f"stage{stage}_block0_branch", width // 2, groups),)
        layers.append(stage_width[-1])
        for block in range(per_stage):
            name = f"stage{stage}_block{block}"
            strides = stage_strides(stage, block)
            out = width // 2 if strides == 2 else width
            bottleneck = PrunableLayer(f"{name}_bottleneck", out // 4, groups)
            layers.append(bottleneck)
            branch = stage_width[-1:] if strides == 2 else stage_width
            residual = strides == 1 and (block > 0 or stem_is_residual)
            units.append(Unit(name, stage, strides, bottleneck, branch, residual))
    return Plan(params, stage_width[0] if stem_is_residual else stem, tuple(units), tuple(layers))


def _grouped_pointwise_bn(
    net: Net[Tensor],
    x: Tensor,
    filters: int,
    groups: int,
    *,
    name: str,
    sliced: bool,
    act: Activation | None = "relu",
) -> Tensor:
    """A grouped 1x1 conv-BN(-ReLU): one grouped Conv2D, or one Conv2D per channel slice."""
    if not sliced or groups == 1:
        return conv_bn(net, x, filters, 1, name=name, groups=groups, act=act)
    channels = net.channels(x)
    step = channels // groups
    parts = []
    for group in range(groups):
        stop = channels if group == groups - 1 else (group + 1) * step
        part = net.slice(x, group * step, stop, name=f"{name}_slice{group}")
        parts.append(net.conv(part, filters // groups, 1, name=f"{name}_conv{group}"))
    x = net.concat(parts, name=f"{name}_concat")
    x = net.batch_norm(x, name=f"{name}_bn")
    return activation(net, x, act, f"{name}_act")


def _unit(net: Net[Tensor], x: Tensor, unit: Unit, widths: Widths, params: ArchParams) -> Tensor:
    name = unit.name
    shortcut = x
    groups, sliced = params.groups, params.grouped_conv == "slices"
    x = _grouped_pointwise_bn(
        net, x, widths(unit.bottleneck), groups, name=f"{name}_compress", sliced=sliced
    )
    if groups > 1:
        x = net.shuffle(x, groups, name=f"{name}_shuffle")
    x = depthwise_bn(net, x, 3, name=f"{name}_depthwise", strides=unit.strides)
    out = sum(widths(layer) for layer in unit.branch)
    x = _grouped_pointwise_bn(net, x, out, groups, name=f"{name}_expand", sliced=sliced, act=None)
    if unit.strides == 2:
        pooled = net.pool(shortcut, "average", 3, strides=2, padding="same", name=f"{name}_pool")
        x = net.concat([x, pooled], name=f"{name}_concat")
    elif unit.residual:
        x = net.add([x, shortcut], name=f"{name}_add")
    return net.activation(x, "relu", name=f"{name}_relu")


@register(
    "shufflenetv1",
    defaults={"depth": 12, "width": 32, "groups": 2, "dropout": 0.0, "grouped_conv": "groups"},
    plan=plan,
    colour="#59a14f",
    tokens=(("depth", "d"), ("width", "w"), ("groups", "g")),
)
def shufflenetv1(net: Net[Tensor], image: Tensor, plan: Plan[Unit], widths: Widths) -> Tensor:
    """ShuffleNetV1: grouped pointwise convolutions with channel shuffles."""
    x = conv_bn(net, image, widths(plan.stem), 3, name="stem")
    for unit in plan.blocks:
        x = _unit(net, x, unit, widths, plan.params)
    return classifier(net, x, dropout=plan.params.dropout)
