"""The model zoo's registry: architecture families by name, their parameters and prunable layers.

Families register themselves timm-style, with a decorator on their builder::

    @register("mobilenetv2", defaults={"depth": 12, "width": 32, ...}, layout=_layout)
    def mobilenetv2(spec: ArchSpec) -> keras.Model: ...

`defaults` lists the parameters a family accepts, with their default values; `layout` turns the
parameters into the family's prunable layers (each with its default width). A layer here is a set
of channels that must be pruned together: all the outputs that a residual sum ties to each other
count as one. The network's topology depends on its parameters only; `widths` change channel
counts, never which layers exist (except that a width of 0 removes a `removable` block).

The family modules are imported on first use, so importing this module does not import Keras.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from thesislab.errors import ThesislabError
from thesislab.models.names import format_name
from thesislab.models.spec import ArchSpec, ParamValue

if TYPE_CHECKING:
    import keras

FAMILY_MODULES = (
    "wideresnet",
    "mobilenetv1",
    "mobilenetv2",
    "mnasnet",
    "shufflenetv1",
    "shufflenetv2",
    "effnet",
    "squeezenext",
    "condensenet",
    "nasnet",
)
"""Modules of `thesislab.models` that define (and register) a family."""

PARAM_HELP: dict[str, str] = {
    "depth": "number of blocks (WideResNet: standard WRN depth, 6n + 4)",
    "width": "channels of the first stage; later stages double it",
    "expansion": "expansion ratio (CondenseNet: bottleneck factor)",
    "groups": "groups of the grouped convolutions",
    "se_ratio": "squeeze-and-excitation reduction ratio; 0 = no SE block",
    "dropout": "dropout rate before the classifier (WideResNet: inside every block)",
    "all_prunable": "WideResNet: stem and stage outputs are prunable too, not only inner convs",
}
"""What each family parameter means, for help texts and `thesislab models list`."""


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


@dataclass(frozen=True)
class PrunableLayer:
    """A group of channels that pruning may narrow: its name, default width and constraints."""

    name: str
    default: int
    multiple_of: int = 1
    removable: bool = False
    """A width of 0 is allowed and removes the block the layer belongs to."""


Layout = Callable[[ArchParams], list[PrunableLayer]]
Builder = Callable[[ArchSpec], "keras.Model"]


@dataclass(frozen=True)
class Family:
    """A registered architecture family."""

    name: str
    builder: Builder
    defaults: Mapping[str, ParamValue]
    layout: Layout

    @property
    def summary(self) -> str:
        """First line of the builder's docstring."""
        return (self.builder.__doc__ or "").strip().splitlines()[0]


FAMILIES: dict[str, Family] = {}
"""The registry: families by name, filled as their modules are imported (see `families`)."""


def register(
    name: str, *, defaults: Mapping[str, ParamValue], layout: Layout
) -> Callable[[Builder], Builder]:
    """Register the decorated builder as family `name`, accepting the parameters in `defaults`."""
    unknown = set(defaults) - set(PARAM_HELP)
    if unknown or not {"depth", "width"} <= set(defaults):
        raise ValueError(f"family {name!r}: bad parameter list {sorted(defaults)}")

    def decorate(builder: Builder) -> Builder:
        if name in FAMILIES:
            raise ValueError(f"family {name!r} is registered twice")
        FAMILIES[name] = Family(name, builder, MappingProxyType(dict(defaults)), layout)
        return builder

    return decorate


def families() -> dict[str, Family]:
    """Every registered family, by name."""
    for module in FAMILY_MODULES:
        importlib.import_module(f"thesislab.models.{module}")
    return dict(FAMILIES)


def get_family(name: str) -> Family:
    """The family registered as `name`; `ThesislabError` if there is none."""
    known = families()
    if name not in known:
        raise ThesislabError(
            f"unknown model family {name!r}: expected one of {', '.join(sorted(known))}"
        )
    return known[name]


def _typed(family: str, key: str, value: ParamValue, default: ParamValue) -> ParamValue:
    """Check one parameter's value against the type of its default, and normalise it."""
    if value is None:
        return default
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(default, int) and value >= 0 and value == int(value):
            return int(value)
        if isinstance(default, float) and 0 <= value < 1:
            return float(value)
    expected = {bool: "true or false", int: "a non-negative integer", float: "a rate in [0, 1)"}
    raise ThesislabError(
        f"{family}: parameter {key!r} must be {expected[type(default)]}, got {value!r}"
    )


def arch_params(spec: ArchSpec) -> ArchParams:
    """The spec's parameters, checked against its family and completed with the family defaults."""
    family = get_family(spec.family)
    unknown = sorted(set(spec.params) - set(family.defaults))
    if unknown:
        raise ThesislabError(
            f"{spec.family}: unknown parameter {unknown[0]!r}: expected one of "
            f"{', '.join(family.defaults)}"
        )
    values = {
        key: _typed(spec.family, key, spec.params.get(key), default)
        for key, default in family.defaults.items()
    }
    for key in ("depth", "width", "expansion", "groups"):
        if values.get(key, 1) == 0:
            raise ThesislabError(f"{spec.family}: parameter {key!r} must be positive, got 0")
    return ArchParams(**values)  # type: ignore[arg-type]


def prunable_layers(spec: ArchSpec) -> list[PrunableLayer]:
    """The spec's prunable layers, in network order, with their default widths."""
    return get_family(spec.family).layout(arch_params(spec))


def _check_widths(spec: ArchSpec, layers: list[PrunableLayer], widths: list[int]) -> None:
    if len(widths) != len(layers):
        raise ThesislabError(
            f"{format_name(spec)}: expected {len(layers)} widths (one per prunable layer), "
            f"got {len(widths)}"
        )
    for layer, width in zip(layers, widths, strict=True):
        smallest = 0 if layer.removable else 1
        if width < smallest or width % layer.multiple_of:
            rule = f"a multiple of {layer.multiple_of}" if layer.multiple_of > 1 else "an integer"
            raise ThesislabError(
                f"{format_name(spec)}: width of {layer.name} must be {rule} >= {smallest}, "
                f"got {width}"
            )


def _layout_and_widths(spec: ArchSpec) -> tuple[ArchParams, list[PrunableLayer], list[int]]:
    params = arch_params(spec)
    layers = get_family(spec.family).layout(params)
    for layer in layers:
        if layer.default < 1 or layer.default % layer.multiple_of:
            raise ThesislabError(
                f"{format_name(spec)}: these parameters give {layer.name} {layer.default} "
                f"channels, expected a positive multiple of {layer.multiple_of}"
            )
    widths = [layer.default for layer in layers] if spec.widths is None else list(spec.widths)
    _check_widths(spec, layers, widths)
    return params, layers, widths


def resolve(spec: ArchSpec) -> ArchSpec:
    """The same network with every parameter and the width of every prunable layer explicit.

    Missing parameters take the family defaults; `widths=None` takes the default widths. Raises
    `ThesislabError` for an unknown family or parameter, or widths that do not fit the layout.
    """
    params, _, widths = _layout_and_widths(spec)
    explicit = {key: getattr(params, key) for key in get_family(spec.family).defaults}
    return ArchSpec(family=spec.family, params=explicit, widths=widths)


def configure(spec: ArchSpec, family: str) -> tuple[ArchParams, dict[str, int]]:
    """For builders: the typed parameters and the width of each prunable layer, by layer name."""
    if spec.family != family:
        raise ThesislabError(f"expected a {family} spec, got family {spec.family!r}")
    params, layers, widths = _layout_and_widths(spec)
    return params, {layer.name: width for layer, width in zip(layers, widths, strict=True)}


def build_model(spec: ArchSpec) -> keras.Model:
    """Build the spec's network: a Keras model from 32x32x3 images to 10 logits."""
    return get_family(spec.family).builder(spec)
