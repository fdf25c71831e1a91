"""A family's plan: its blocks in order and its prunable layers, for given parameters.

A plan is to a family what timm's block definitions or Keras's EfficientNet block arguments are to
theirs: a table with one row per block (its stage, stride, kernel, the channels it uses). Each
family module writes one function from `ArchParams` to a `Plan`, and everything else follows from
it: the prunable-layer layout is the plan's `layers`, and the family's builder walks the plan's
rows, so the layout and the network cannot disagree. A row names its channel counts as `Width`s:
a prunable layer (the width a spec gives it) or a fixed number.

A layer here is a set of channels that must be pruned together: all the outputs that a residual
sum ties to each other count as one. The network's topology depends on its parameters only;
widths change channel counts, never which blocks exist (except that a width of 0 removes a
`removable` block).

Nothing here imports a framework.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

Row = TypeVar("Row")
"""A family's block row: a frozen dataclass."""


@dataclass(frozen=True)
class ArchParams:
    """A family's parameters, typed, with the family's defaults filled in."""

    depth: int
    width: int
    expansion: int = 1
    groups: int = 1
    se_ratio: int = 0
    dropout: float = 0.0
    all_prunable: bool = False
    grouped_conv: str = "groups"
    block: str = "preact"


@dataclass(frozen=True)
class PrunableLayer:
    """A group of channels that pruning may narrow: its name, default width and constraints."""

    name: str
    default: int
    multiple_of: int = 1
    removable: bool = False
    """A width of 0 is allowed and removes the block the layer belongs to."""


Width = PrunableLayer | int
"""A channel count in a plan: a prunable layer's width, or a fixed number of channels."""

TableCell = str | int | float | bool | None


def _references(value: object) -> Iterator[PrunableLayer]:
    if isinstance(value, PrunableLayer):
        yield value
    elif isinstance(value, tuple):
        for item in value:
            yield from _references(item)


@dataclass(frozen=True)
class Plan(Generic[Row]):
    """A network of one family at given parameters: its stem width, blocks and prunable layers.

    `layers` lists the prunable layers in network order (the order of a spec's widths); every one
    of them is used by the stem or a block, and the stem and blocks use no other.
    """

    params: ArchParams
    stem: Width
    blocks: tuple[Row, ...]
    layers: tuple[PrunableLayer, ...]

    def __post_init__(self) -> None:
        used = {layer.name: layer for layer in _references(self.stem)}
        for block in self.blocks:
            for field in dataclasses.fields(block):  # type: ignore[arg-type]
                used.update(
                    (layer.name, layer) for layer in _references(getattr(block, field.name))
                )
        listed = {layer.name: layer for layer in self.layers}
        if len(listed) != len(self.layers) or used != listed:
            raise ValueError(
                f"plan lists prunable layers {sorted(listed)} but its blocks use {sorted(used)}"
            )

    def table(self, widths: Sequence[int] | None = None) -> dict[str, Any]:
        """The plan as a table: the stem's width and one row per block, one column per field.

        A prunable layer shows as `name=width` (its default width unless `widths`, one per
        prunable layer, are given), a kernel as `3x1`, layers whose widths add up as `a=8+b=8`,
        other tuples comma-separated.
        """
        chosen = {layer.name: layer.default for layer in self.layers}
        if widths is not None:
            chosen = {layer.name: w for layer, w in zip(self.layers, widths, strict=True)}

        def cell(value: Any) -> TableCell:
            if isinstance(value, PrunableLayer):
                return f"{value.name}={chosen[value.name]}"
            if isinstance(value, tuple):
                if all(isinstance(item, int) for item in value):
                    joint = "x"
                elif all(isinstance(item, PrunableLayer) for item in value):
                    joint = "+"
                else:
                    joint = ", "
                return joint.join(str(cell(item)) for item in value)
            return value  # type: ignore[no-any-return]

        rows = [
            {field.name: cell(getattr(block, field.name)) for field in dataclasses.fields(block)}  # type: ignore[arg-type]
            for block in self.blocks
        ]
        return {"stem": cell(self.stem), "blocks": rows}


class Widths:
    """The channels of every prunable layer for one network; notes which layers a build reads.

    A builder asks for every channel count of the plan through `widths(w)`; after the build,
    `unread()` names the prunable layers it never asked for (a plan and builder that disagree).
    """

    def __init__(self, layers: Sequence[PrunableLayer], widths: Sequence[int]) -> None:
        self._widths = {layer.name: width for layer, width in zip(layers, widths, strict=True)}
        self._read: set[str] = set()

    def __call__(self, width: Width) -> int:
        """The channels of `width`: its own number, or the width of the prunable layer."""
        if isinstance(width, int):
            return width
        self._read.add(width.name)
        return self._widths[width.name]

    def unread(self) -> list[str]:
        """Prunable layers no channel count was asked for since this object was made."""
        return [name for name in self._widths if name not in self._read]
