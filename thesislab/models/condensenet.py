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

import keras
from keras import layers

from thesislab.models.layers import (
    INPUT_SHAPE,
    NUM_CLASSES,
    ChannelGather,
    ChannelShuffle,
    Tensor,
    bn_relu,
    conv,
)
from thesislab.models.names import format_name
from thesislab.models.registry import ArchParams, PrunableLayer, configure, register
from thesislab.models.spec import ArchSpec
from thesislab.models.stages import STAGES, blocks_per_stage, stage_widths


def _layout(params: ArchParams) -> list[PrunableLayer]:
    groups = params.groups
    layout = [PrunableLayer("stem", 2 * params.width, groups)]
    for stage, growth in stage_widths(params.width):
        for index in range(blocks_per_stage("condensenet", params.depth)):
            name = f"stage{stage}_layer{index}"
            layout.append(PrunableLayer(f"{name}_bottleneck", params.expansion * growth, groups))
            layout.append(PrunableLayer(f"{name}_growth", growth, groups))
    return layout


def _dense_layer(x: Tensor, *, bottleneck: int, growth: int, groups: int, name: str) -> Tensor:
    y = ChannelGather(int(x.shape[-1]), name=f"{name}_select")(x)
    y = bn_relu(y, name=f"{name}_preact1")
    y = conv(y, bottleneck, 1, name=f"{name}_conv1", groups=groups)
    if groups > 1:
        y = ChannelShuffle(groups, name=f"{name}_shuffle")(y)
    y = bn_relu(y, name=f"{name}_preact2")
    y = conv(y, growth, 3, name=f"{name}_conv2", groups=groups)
    return layers.Concatenate(name=f"{name}_concat")([x, y])


@register(
    "condensenet",
    defaults={"depth": 42, "width": 8, "expansion": 4, "groups": 4, "dropout": 0.0},
    layout=_layout,
)
def condensenet(spec: ArchSpec) -> keras.Model:
    """CondenseNet: dense connectivity through learned (condensed) group convolutions."""
    params, widths = configure(spec, "condensenet")
    inputs = keras.Input(INPUT_SHAPE, name="image")
    x = conv(inputs, widths["stem"], 3, name="stem_conv")
    for stage in STAGES:
        if stage > 1:
            x = layers.AveragePooling2D(2, name=f"stage{stage}_transition")(x)
        for index in range(blocks_per_stage("condensenet", params.depth)):
            name = f"stage{stage}_layer{index}"
            x = _dense_layer(
                x,
                bottleneck=widths[f"{name}_bottleneck"],
                growth=widths[f"{name}_growth"],
                groups=params.groups,
                name=name,
            )
    x = bn_relu(x, name="head")
    x = layers.GlobalAveragePooling2D(name="head_pool")(x)
    x = ChannelGather(int(x.shape[-1]) // 2, name="head_select")(x)
    if params.dropout:
        x = layers.Dropout(params.dropout, name="head_dropout")(x)
    outputs = layers.Dense(NUM_CLASSES, name="head_logits")(x)
    return keras.Model(inputs, outputs, name=format_name(spec))
