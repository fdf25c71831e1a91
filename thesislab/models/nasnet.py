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

import keras
from keras import layers

from thesislab.models.layers import INPUT_SHAPE, Tensor, batch_norm, classifier, conv, conv_bn
from thesislab.models.names import format_name
from thesislab.models.registry import ArchParams, PrunableLayer, configure, register
from thesislab.models.spec import ArchSpec
from thesislab.models.stages import STEM_WIDTH, blocks_per_stage, stage_widths


@dataclass(frozen=True)
class Cell:
    """One cell of the plan, at default widths."""

    name: str
    filters: int
    reduction: bool
    adjust: str
    """How the older input is adjusted: "reduce", "project" or "none"."""
    reads_stem: bool
    """Whether the older input is the stem's output."""


def _plan(params: ArchParams) -> list[Cell]:
    per_stage = blocks_per_stage("nasnet", params.depth)
    cells: list[Cell] = []
    # (name, channels, resolution) of the two latest outputs, older first.
    older, newer = ("image", INPUT_SHAPE[-1], 32), ("stem", STEM_WIDTH, 32)
    for stage, filters in stage_widths(params.width):
        for index in range(per_stage if stage > 1 else per_stage - 1):
            reduction = stage > 1 and index == 0
            adjust = "none"
            if older[2] != newer[2]:
                adjust = "reduce"
            elif older[1] != filters:
                adjust = "project"
            name = f"stage{stage}_cell{index if stage > 1 else index + 1}"
            cells.append(Cell(name, filters, reduction, adjust, older[0] == "stem"))
            resolution = newer[2] // 2 if reduction else newer[2]
            older, newer = newer, (name, filters * (4 if reduction else 6), resolution)
    return cells


def _stem_owner(cells: list[Cell]) -> str:
    """The layer whose width the stem has: its own, or that of a cell adding it unadjusted."""
    return next((cell.name for cell in cells if cell.reads_stem and cell.adjust == "none"), "stem")


def _layout(params: ArchParams) -> list[PrunableLayer]:
    cells = _plan(params)
    stem = [] if _stem_owner(cells) != "stem" else [PrunableLayer("stem", STEM_WIDTH, 2)]
    return stem + [PrunableLayer(cell.name, cell.filters, 2) for cell in cells]


def _separable_stack(
    x: Tensor, filters: int, kernel_size: int, *, name: str, strides: int = 1
) -> Tensor:
    for step, step_strides in ((1, strides), (2, 1)):
        x = layers.ReLU(name=f"{name}_relu{step}")(x)
        x = layers.SeparableConv2D(
            filters,
            kernel_size,
            strides=step_strides,
            padding="same",
            use_bias=False,
            name=f"{name}_sepconv{step}",
        )(x)
        x = batch_norm(f"{name}_bn{step}")(x)
    return x


def _relu_conv_bn(x: Tensor, filters: int, *, name: str) -> Tensor:
    x = layers.ReLU(name=f"{name}_relu")(x)
    return conv_bn(x, filters, 1, name=name, act=None)


def _adjust(older: Tensor, filters: int, how: str, *, name: str) -> Tensor:
    if how == "project":
        return _relu_conv_bn(older, filters, name=name)
    if how == "none":
        return older
    older = layers.ReLU(name=f"{name}_relu")(older)
    direct = layers.AveragePooling2D(1, strides=2, name=f"{name}_path1_pool")(older)
    direct = conv(direct, filters // 2, 1, name=f"{name}_path1_conv")
    shifted = layers.ZeroPadding2D(((0, 1), (0, 1)), name=f"{name}_path2_pad")(older)
    shifted = layers.Cropping2D(((1, 0), (1, 0)), name=f"{name}_path2_crop")(shifted)
    shifted = layers.AveragePooling2D(1, strides=2, name=f"{name}_path2_pool")(shifted)
    shifted = conv(shifted, filters // 2, 1, name=f"{name}_path2_conv")
    joined = layers.Concatenate(name=f"{name}_concat")([direct, shifted])
    return batch_norm(f"{name}_bn")(joined)


def _pool(x: Tensor, kind: str, *, strides: int, name: str) -> Tensor:
    pooling = layers.AveragePooling2D if kind == "avg" else layers.MaxPooling2D
    return pooling(3, strides=strides, padding="same", name=name)(x)


def _add(name: str, *branches: Tensor) -> Tensor:
    return layers.Add(name=name)(list(branches))


def _normal_cell(h: Tensor, p: Tensor, filters: int, *, name: str) -> Tensor:
    def sep(x: Tensor, kernel_size: int, branch: str) -> Tensor:
        return _separable_stack(x, filters, kernel_size, name=f"{name}_{branch}")

    def avg(x: Tensor, branch: str) -> Tensor:
        return _pool(x, "avg", strides=1, name=f"{name}_{branch}")

    return layers.Concatenate(name=f"{name}_concat")(
        [
            p,
            _add(f"{name}_add1", sep(h, 5, "b1_left"), sep(p, 3, "b1_right")),
            _add(f"{name}_add2", sep(p, 5, "b2_left"), sep(p, 3, "b2_right")),
            _add(f"{name}_add3", avg(h, "b3_left"), p),
            _add(f"{name}_add4", avg(p, "b4_left"), avg(p, "b4_right")),
            _add(f"{name}_add5", sep(h, 3, "b5_left"), h),
        ]
    )


def _reduction_cell(h: Tensor, p: Tensor, filters: int, *, name: str) -> Tensor:
    def sep(x: Tensor, kernel_size: int, branch: str, strides: int = 2) -> Tensor:
        return _separable_stack(x, filters, kernel_size, name=f"{name}_{branch}", strides=strides)

    def pool(x: Tensor, kind: str, branch: str, strides: int = 2) -> Tensor:
        return _pool(x, kind, strides=strides, name=f"{name}_{branch}")

    b1 = _add(f"{name}_add1", sep(h, 5, "b1_left"), sep(p, 7, "b1_right"))
    b2 = _add(f"{name}_add2", pool(h, "max", "b2_left"), sep(p, 7, "b2_right"))
    b3 = _add(f"{name}_add3", pool(h, "avg", "b3_left"), sep(p, 5, "b3_right"))
    b4 = _add(f"{name}_add4", pool(b1, "avg", "b4_left", strides=1), b2)
    b5 = _add(f"{name}_add5", sep(b1, 3, "b5_left", strides=1), pool(h, "max", "b5_right"))
    return layers.Concatenate(name=f"{name}_concat")([b2, b3, b4, b5])


@register(
    "nasnet",
    defaults={"depth": 12, "width": 32, "dropout": 0.0},
    layout=_layout,
)
def nasnet(spec: ArchSpec) -> keras.Model:
    """NASNet-A: searched normal and reduction cells (mobile version)."""
    params, widths = configure(spec, "nasnet")
    cells = _plan(params)
    inputs = keras.Input(INPUT_SHAPE, name="image")
    older, newer = inputs, conv_bn(inputs, widths[_stem_owner(cells)], 3, name="stem")
    for cell in cells:
        filters = widths[cell.name]
        p = _adjust(older, filters, cell.adjust, name=f"{cell.name}_adjust")
        h = _relu_conv_bn(newer, filters, name=f"{cell.name}_input")
        build_cell = _reduction_cell if cell.reduction else _normal_cell
        older, newer = newer, build_cell(h, p, filters, name=cell.name)
    return keras.Model(inputs, classifier(newer, dropout=params.dropout), name=format_name(spec))
