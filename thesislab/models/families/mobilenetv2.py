"""MobileNetV2 (Sandler et al., 2018) for CIFAR-10, as the thesis adapted it.

The shared inverted-residual plan of `thesislab.models.inverted` (16-channel stem, three stages of
depth / 3 blocks, stride 2 at the start of the second and third) with 3x3 depthwise kernels
everywhere, and, as in the ImageNet network, an expansion ratio of 1 in the very first block and
`expansion` in all the others. With `se_ratio` > 0, an SE gate follows the projection of every
block without stride; `dropout` is applied before the classifier.
"""

from __future__ import annotations

from thesislab.models import inverted
from thesislab.models.net import Net, Tensor
from thesislab.models.plan import ArchParams, Plan, Widths
from thesislab.models.registry import register


def plan(params: ArchParams) -> Plan[inverted.Block]:
    """The blocks and prunable layers of a MobileNetV2."""
    return inverted.plan(
        params, "mobilenetv2", first_expansion=1, kernel_size=lambda stage, block, per_stage: 3
    )


@register(
    "mobilenetv2",
    defaults={"depth": 12, "width": 32, "expansion": 4, "se_ratio": 0, "dropout": 0.0},
    plan=plan,
    colour="#e15759",
    tokens=(("depth", "d"), ("expansion", "er"), ("width", "w"), ("se_ratio", "se")),
)
def mobilenetv2(
    net: Net[Tensor], image: Tensor, plan: Plan[inverted.Block], widths: Widths
) -> Tensor:
    """MobileNetV2: inverted residuals with linear bottlenecks, 3x3 depthwise kernels."""
    return inverted.build(net, image, plan, widths)
