"""NASNet-A (Zoph et al., 2018) with its mobile cells, for CIFAR-10 as the thesis adapted it.

Layout: a 3x3 conv-BN-ReLU stem with 16 channels; three stages with `width`, 2 x `width` and
4 x `width` filters per cell branch: the first stage has depth / 3 - 1 normal cells, the second and
third a reduction cell (stride 2) followed by depth / 3 - 1 normal cells, so a network of depth d
has d - 1 cells; then global average pooling (with no ReLU before it, as in the thesis), optional
dropout and the dense classifier.

Every cell reads the outputs of the two cells before it (the first cell reads the stem and the
image itself). The older input is first adjusted to the cell: by a factorised reduction (two
shifted, strided 1x1 convolutions) when its resolution is higher, by ReLU-1x1 conv-BN when its
width differs (at default widths), else used as it is. The newer input goes through ReLU-1x1
conv-BN. A normal cell concatenates the adjusted older input and five pairwise sums of separable
convolution stacks (ReLU-separable conv-BN, twice), 3x3 average poolings and identities: 6 x the
filters out; a reduction cell concatenates four sums: 4 x the filters out.

Prunable layers (even widths): the stem and the filters of every cell (`stage{s}_cell{c}`; the
reduction cell is cell 0 of its stage). The stem joins the first cell that uses it unadjusted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from thesislab.models.blocks import classifier, conv_bn
from thesislab.models.net import INPUT_SHAPE, Net, Tensor
from thesislab.models.plan import ArchParams, Plan, PrunableLayer, Widths
from thesislab.models.registry import register
from thesislab.models.stages import STEM_WIDTH, blocks_per_stage, stage_widths


@dataclass(frozen=True)
class Cell:
    """One cell of the plan: its filters per branch and how it reads its inputs."""

    name: str
    filters: PrunableLayer
    reduction: bool
    adjust: Literal["reduce", "project", "none"]
    """How the older input is adjusted (at default widths)."""
    reads_stem: bool
    """Whether the older input is the stem's output."""


def plan(params: ArchParams) -> Plan[Cell]:
    """The cells and prunable layers of a NASNet; the stem joins the first cell that uses it
    unadjusted."""
    per_stage = blocks_per_stage("nasnet", params.depth)
    cells: list[Cell] = []
    # (name, channels, resolution) of the two latest outputs, older first.
    older, newer = ("image", INPUT_SHAPE[-1], 32), ("stem", STEM_WIDTH, 32)
    for stage, filters in stage_widths(params.width):
        for index in range(per_stage if stage > 1 else per_stage - 1):
            reduction = stage > 1 and index == 0
            adjust: Literal["reduce", "project", "none"] = "none"
            if older[2] != newer[2]:
                adjust = "reduce"
            elif older[1] != filters:
                adjust = "project"
            name = f"stage{stage}_cell{index if stage > 1 else index + 1}"
            layer = PrunableLayer(name, filters, 2)
            cells.append(Cell(name, layer, reduction, adjust, older[0] == "stem"))
            resolution = newer[2] // 2 if reduction else newer[2]
            older, newer = newer, (name, filters * (4 if reduction else 6), resolution)
    owner = next(
        (cell.filters for cell in cells if cell.reads_stem and cell.adjust == "none"), None
    )
    stem = PrunableLayer("stem", STEM_WIDTH, 2) if owner is None else owner
    layers = ([] if owner else [stem]) + [cell.filters for cell in cells]
    return Plan(params, stem, tuple(cells), tuple(layers))


def _separable_stack(
    net: Net[Tensor], x: Tensor, filters: int, kernel_size: int, *, name: str, strides: int = 1
) -> Tensor:
    for step, step_strides in ((1, strides), (2, 1)):
        x = net.activation(x, "relu", name=f"{name}_relu{step}")
        x = net.separable(
            x, filters, kernel_size, strides=step_strides, name=f"{name}_sepconv{step}"
        )
        x = net.batch_norm(x, name=f"{name}_bn{step}")
    return x


def _relu_conv_bn(net: Net[Tensor], x: Tensor, filters: int, *, name: str) -> Tensor:
    x = net.activation(x, "relu", name=f"{name}_relu")
    return conv_bn(net, x, filters, 1, name=name, act=None)


def _adjust(net: Net[Tensor], older: Tensor, filters: int, how: str, *, name: str) -> Tensor:
    if how == "project":
        return _relu_conv_bn(net, older, filters, name=name)
    if how == "none":
        return older
    older = net.activation(older, "relu", name=f"{name}_relu")
    direct = net.pool(older, "average", 1, strides=2, name=f"{name}_path1_pool")
    direct = net.conv(direct, filters // 2, 1, name=f"{name}_path1_conv")
    shifted = net.pad(older, ((0, 1), (0, 1)), name=f"{name}_path2_pad")
    shifted = net.crop(shifted, ((1, 0), (1, 0)), name=f"{name}_path2_crop")
    shifted = net.pool(shifted, "average", 1, strides=2, name=f"{name}_path2_pool")
    shifted = net.conv(shifted, filters // 2, 1, name=f"{name}_path2_conv")
    joined = net.concat([direct, shifted], name=f"{name}_concat")
    return net.batch_norm(joined, name=f"{name}_bn")


def _normal_cell(net: Net[Tensor], h: Tensor, p: Tensor, filters: int, *, name: str) -> Tensor:
    def sep(x: Tensor, kernel_size: int, branch: str) -> Tensor:
        return _separable_stack(net, x, filters, kernel_size, name=f"{name}_{branch}")

    def avg(x: Tensor, branch: str) -> Tensor:
        return net.pool(x, "average", 3, strides=1, padding="same", name=f"{name}_{branch}")

    def add(index: int, left: Tensor, right: Tensor) -> Tensor:
        return net.add([left, right], name=f"{name}_add{index}")

    return net.concat(
        [
            p,
            add(1, sep(h, 5, "b1_left"), sep(p, 3, "b1_right")),
            add(2, sep(p, 5, "b2_left"), sep(p, 3, "b2_right")),
            add(3, avg(h, "b3_left"), p),
            add(4, avg(p, "b4_left"), avg(p, "b4_right")),
            add(5, sep(h, 3, "b5_left"), h),
        ],
        name=f"{name}_concat",
    )


def _reduction_cell(net: Net[Tensor], h: Tensor, p: Tensor, filters: int, *, name: str) -> Tensor:
    def sep(x: Tensor, kernel_size: int, branch: str, strides: int = 2) -> Tensor:
        return _separable_stack(
            net, x, filters, kernel_size, name=f"{name}_{branch}", strides=strides
        )

    def pool(x: Tensor, kind: Literal["average", "max"], branch: str, strides: int = 2) -> Tensor:
        return net.pool(x, kind, 3, strides=strides, padding="same", name=f"{name}_{branch}")

    def add(index: int, left: Tensor, right: Tensor) -> Tensor:
        return net.add([left, right], name=f"{name}_add{index}")

    b1 = add(1, sep(h, 5, "b1_left"), sep(p, 7, "b1_right"))
    b2 = add(2, pool(h, "max", "b2_left"), sep(p, 7, "b2_right"))
    b3 = add(3, pool(h, "average", "b3_left"), sep(p, 5, "b3_right"))
    b4 = add(4, pool(b1, "average", "b4_left", strides=1), b2)
    b5 = add(5, sep(b1, 3, "b5_left", strides=1), pool(h, "max", "b5_right"))
    return net.concat([b2, b3, b4, b5], name=f"{name}_concat")


@register(
    "nasnet",
    defaults={"depth": 12, "width": 32, "dropout": 0.0},
    plan=plan,
    colour="#bab0ac",
)
def nasnet(net: Net[Tensor], image: Tensor, plan: Plan[Cell], widths: Widths) -> Tensor:
    """NASNet-A: searched normal and reduction cells (mobile version)."""
    older, newer = image, conv_bn(net, image, widths(plan.stem), 3, name="stem")
    for cell in plan.blocks:
        filters = widths(cell.filters)
        p = _adjust(net, older, filters, cell.adjust, name=f"{cell.name}_adjust")
        h = _relu_conv_bn(net, newer, filters, name=f"{cell.name}_input")
        build_cell = _reduction_cell if cell.reduction else _normal_cell
        older, newer = newer, build_cell(net, h, p, filters, name=cell.name)
    return classifier(net, newer, dropout=plan.params.dropout)
