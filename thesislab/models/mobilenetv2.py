"""MobileNetV2 (Sandler et al., 2018) for CIFAR-10, as the thesis adapted it.

The shared inverted-residual plan of `thesislab.models.inverted` (16-channel stem, three stages of
depth / 3 blocks, stride 2 at the start of the second and third) with 3x3 depthwise kernels
everywhere, and, as in the ImageNet network, an expansion ratio of 1 in the very first block and
`expansion` in all the others. With `se_ratio` > 0, an SE gate follows the projection of every
block without stride; `dropout` is applied before the classifier.
"""

from __future__ import annotations

import keras

from thesislab.models import inverted
from thesislab.models.registry import ArchParams, PrunableLayer, register
from thesislab.models.spec import ArchSpec


def _blocks(params: ArchParams) -> list[inverted.Block]:
    return inverted.plan(
        params, "mobilenetv2", first_expansion=1, kernel_size=lambda stage, block, per_stage: 3
    )


def _layout(params: ArchParams) -> list[PrunableLayer]:
    return inverted.layout(params, _blocks(params))


@register(
    "mobilenetv2",
    defaults={"depth": 12, "width": 32, "expansion": 4, "se_ratio": 0, "dropout": 0.0},
    layout=_layout,
)
def mobilenetv2(spec: ArchSpec) -> keras.Model:
    """MobileNetV2: inverted residuals with linear bottlenecks, 3x3 depthwise kernels."""
    return inverted.build(spec, "mobilenetv2", _blocks)
