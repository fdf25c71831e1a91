"""MNASNet (Tan et al., 2019) for CIFAR-10, as the thesis adapted it.

The thesis took MNASNet-A1's ImageNet first block to be shaped by the input resolution only, so
its CIFAR MNASNet is the MobileNetV2 plan of `thesislab.models.inverted` with two changes: 5x5
depthwise kernels in the second and third stages, except in the last block of each, and an
expansion ratio of `expansion` / 2 (at least 1) in the very first block. SE and dropout as in
MobileNetV2.
"""

from __future__ import annotations

from thesislab.models import inverted
from thesislab.models.net import Net, Tensor
from thesislab.models.plan import ArchParams, Plan, Widths
from thesislab.models.registry import register


def _kernel_size(stage: int, block: int, per_stage: int) -> int:
    return 5 if stage > 1 and block < per_stage - 1 else 3


def plan(params: ArchParams) -> Plan[inverted.Block]:
    """The blocks and prunable layers of an MNASNet."""
    return inverted.plan(
        params,
        "mnasnet",
        first_expansion=max(params.expansion // 2, 1),
        kernel_size=_kernel_size,
    )


@register(
    "mnasnet",
    defaults={"depth": 12, "width": 32, "expansion": 4, "se_ratio": 0, "dropout": 0.0},
    plan=plan,
    colour="#76b7b2",
    tokens=(("depth", "d"), ("expansion", "er"), ("width", "w"), ("se_ratio", "se")),
)
def mnasnet(net: Net[Tensor], image: Tensor, plan: Plan[inverted.Block], widths: Widths) -> Tensor:
    """MNASNet: MobileNetV2 with 5x5 depthwise kernels in the lower-resolution stages."""
    return inverted.build(net, image, plan, widths)
