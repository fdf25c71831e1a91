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

import keras
from keras import layers

from thesislab.models.layers import INPUT_SHAPE, Tensor, classifier, conv_bn, depthwise_bn
from thesislab.models.names import format_name
from thesislab.models.registry import ArchParams, PrunableLayer, configure, register
from thesislab.models.spec import ArchSpec
from thesislab.models.stages import STAGES, blocks_per_stage

MIN_BOTTLENECK = 6
BLOCKS_PER_STAGE = (1, 1, 2)
"""The thesis's effective EffNet depth (see the module docstring)."""


def _stages(params: ArchParams) -> list[tuple[int, int]]:
    """(stage, blocks) pairs; checks that depth is a multiple of 3 as the thesis did."""
    blocks_per_stage("effnet", params.depth)
    return list(zip(STAGES, BLOCKS_PER_STAGE, strict=True))


def _layout(params: ArchParams) -> list[PrunableLayer]:
    layout = [PrunableLayer("stem", params.width)]
    for stage, blocks in _stages(params):
        stage_input = params.width * 2 ** (stage - 1)
        bottleneck = max(stage_input * params.expansion // 2, MIN_BOTTLENECK)
        layout += [PrunableLayer(f"stage{stage}_block{b}", bottleneck) for b in range(blocks)]
        layout.append(PrunableLayer(f"stage{stage}", 2 * stage_input))
    return layout


def _block(x: Tensor, *, bottleneck: int, out: int | None, name: str) -> Tensor:
    """An EffNet block; it downsamples to `out` channels unless `out` is None."""
    x = conv_bn(x, bottleneck, 1, name=f"{name}_pointwise", act="leaky_relu")
    x = depthwise_bn(x, (1, 3), name=f"{name}_depthwise_1x3", act="relu")
    if out is not None:
        x = layers.MaxPooling2D((1, 2), strides=(1, 2), name=f"{name}_pool")(x)
    x = depthwise_bn(x, (3, 1), name=f"{name}_depthwise_3x1", act="relu")
    if out is not None:
        x = conv_bn(x, out, (2, 1), name=f"{name}_downsample", strides=(2, 1), act="leaky_relu")
    return x


@register(
    "effnet",
    defaults={"depth": 3, "width": 32, "expansion": 2, "dropout": 0.0},
    layout=_layout,
)
def effnet(spec: ArchSpec) -> keras.Model:
    """EffNet: spatially separable depthwise convolutions, strided 2x1 convolutions."""
    params, widths = configure(spec, "effnet")
    inputs = keras.Input(INPUT_SHAPE, name="image")
    x = conv_bn(inputs, widths["stem"], 1, name="stem")
    for stage, blocks in _stages(params):
        for block in range(blocks):
            name = f"stage{stage}_block{block}"
            out = widths[f"stage{stage}"] if block == blocks - 1 else None
            x = _block(x, bottleneck=widths[name], out=out, name=name)
    outputs = classifier(x, dropout=params.dropout, pool=False)
    return keras.Model(inputs, outputs, name=format_name(spec))
