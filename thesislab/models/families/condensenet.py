"""CondenseNet (Huang et al., 2018) for CIFAR-10, in its condensed (inference) form.

Layout, as in the CondenseNet code the thesis ran (stages 14-14-14, growth 8-16-32, bottleneck 4,
4 groups: depth 42, width 8, expansion 4, groups 4): a 3x3 stem convolution with 2 x `width`
channels; three dense stages of depth / 3 layers with growth rates `width`, 2 x `width` and
4 x `width`, separated by 2x2 average pooling; BN-ReLU, global average pooling, then the classifier
reads half of the features (a learned selection) into a dense layer.

A dense layer appends `growth` channels to its input: a learned group convolution — in its
condensed form, a selection of input channels (`ChannelGather`; learned during training, identity
when built from scratch), BN-ReLU, a 1x1 convolution in `groups` groups to `expansion` x growth
channels and a channel shuffle — then BN-ReLU and a 3x3 convolution in `groups` groups to `growth`
channels. Training the learned group convolutions themselves (masks, condensation) is not modelled:
a network built here trains as a plain grouped-convolution CondenseNet.

Prunable layers (all multiples of `groups`): the stem and, for every dense layer, its bottleneck
(`stage{s}_layer{l}_bottleneck`) and its growth (`stage{s}_layer{l}_growth`).
"""

from __future__ import annotations

from dataclasses import dataclass

from thesislab.models.blocks import bn_relu
from thesislab.models.net import NUM_CLASSES, Net, Tensor
from thesislab.models.plan import ArchParams, Plan, PrunableLayer, Widths
from thesislab.models.registry import register
from thesislab.models.stages import blocks_per_stage, stage_widths


@dataclass(frozen=True)
class DenseLayer:
    """One dense layer: its bottleneck and the channels it appends."""

    name: str
    stage: int
    transition: bool
    """A 2x2 average pooling comes first (the first layer of the second and third stages)."""
    bottleneck: PrunableLayer
    growth: PrunableLayer


def plan(params: ArchParams) -> Plan[DenseLayer]:
    """The dense layers and prunable layers of a CondenseNet."""
    groups = params.groups
    stem = PrunableLayer("stem", 2 * params.width, groups)
    dense_layers = []
    for stage, growth in stage_widths(params.width):
        for index in range(blocks_per_stage("condensenet", params.depth)):
            name = f"stage{stage}_layer{index}"
            dense_layers.append(
                DenseLayer(
                    name,
                    stage,
                    stage > 1 and index == 0,
                    PrunableLayer(f"{name}_bottleneck", params.expansion * growth, groups),
                    PrunableLayer(f"{name}_growth", growth, groups),
                )
            )
    layers = [stem] + [
        width for layer in dense_layers for width in (layer.bottleneck, layer.growth)
    ]
    return Plan(params, stem, tuple(dense_layers), tuple(layers))


def _dense_layer(
    net: Net[Tensor], x: Tensor, layer: DenseLayer, widths: Widths, groups: int
) -> Tensor:
    name = layer.name
    y = net.gather(x, net.channels(x), name=f"{name}_select")
    y = bn_relu(net, y, name=f"{name}_preact1")
    y = net.conv(y, widths(layer.bottleneck), 1, name=f"{name}_conv1", groups=groups)
    if groups > 1:
        y = net.shuffle(y, groups, name=f"{name}_shuffle")
    y = bn_relu(net, y, name=f"{name}_preact2")
    y = net.conv(y, widths(layer.growth), 3, name=f"{name}_conv2", groups=groups)
    return net.concat([x, y], name=f"{name}_concat")


@register(
    "condensenet",
    defaults={"depth": 42, "width": 8, "expansion": 4, "groups": 4, "dropout": 0.0},
    plan=plan,
    colour="#9c755f",
    tokens=(("depth", "d"), ("width", "w"), ("expansion", "er"), ("groups", "g")),
)
def condensenet(net: Net[Tensor], image: Tensor, plan: Plan[DenseLayer], widths: Widths) -> Tensor:
    """CondenseNet: dense connectivity through learned (condensed) group convolutions."""
    x = net.conv(image, widths(plan.stem), 3, name="stem_conv")
    for layer in plan.blocks:
        if layer.transition:
            x = net.pool(x, "average", 2, name=f"stage{layer.stage}_transition")
        x = _dense_layer(net, x, layer, widths, plan.params.groups)
    x = bn_relu(net, x, name="head")
    x = net.global_pool(x, name="head_pool")
    x = net.gather(x, net.channels(x) // 2, name="head_select")
    if plan.params.dropout:
        x = net.dropout(x, plan.params.dropout, name="head_dropout")
    return net.dense(x, NUM_CLASSES, name="head_logits")
