"""The model zoo's registry: architecture families by name, their parameters, plans and names.

Each module of `thesislab.models.families` defines one family and registers it, timm-style, with a
decorator on its builder::

    @register("mobilenetv2", defaults={"depth": 12, "width": 32, ...}, plan=plan,
              colour="#e15759", tokens=(("depth", "d"), ("expansion", "er"), ...))
    def mobilenetv2(net: Net[T], image: T, plan: Plan[Block], widths: Widths) -> T: ...

`defaults` lists the parameters a family accepts, with their default values; `plan` turns the
parameters into the family's `Plan` (its blocks and prunable layers); the builder walks the plan's
blocks with a `Net` and returns the logits. The entry also carries what names and charts need: the
heads thesis names give the family (`aliases`), the order of its parameter tokens in a name
(`tokens`) and its colour on the results site. Adding a family is adding one module there.

Importing this module imports no framework, and neither does anything but `build_model`.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import json
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

from thesislab.errors import ThesislabError
from thesislab.models.net import INPUT_SHAPE, Net
from thesislab.models.plan import ArchParams, Plan, PrunableLayer, Widths
from thesislab.models.spec import ArchSpec, ParamValue

if TYPE_CHECKING:
    import keras

FAMILY_PACKAGE = "thesislab.models.families"
"""The package whose every module defines (and registers) one family."""

PARAM_HELP: dict[str, str] = {
    "depth": "number of blocks (WideResNet: standard WRN depth, 6n + 4)",
    "width": "channels of the first stage; later stages double it",
    "expansion": "expansion ratio (CondenseNet: bottleneck factor)",
    "groups": "groups of the grouped convolutions",
    "se_ratio": "squeeze-and-excitation reduction ratio; 0 = no SE block",
    "dropout": "dropout rate before the classifier (WideResNet: inside every block)",
    "all_prunable": "WideResNet: stem and stage outputs are prunable too, not only inner convs",
    "grouped_conv": "ShuffleNetV1: 'groups' (one grouped convolution) or 'slices' (the thesis's "
    "channel slices, one convolution each, concatenated)",
    "block": "WideResNet: 'preact' (pre-activation) or 'postact' (the thesis's NetAdapt network: "
    "BN-ReLU after each convolution and after each residual sum)",
}
"""What each family parameter means, for help texts and `thesislab models list`."""

DEFAULT_TOKENS: tuple[tuple[str, str], ...] = (("depth", "d"), ("width", "w"), ("se_ratio", "se"))
"""(parameter, name prefix) in the order thesis names write them, unless a family says otherwise;
a family's names use those of its parameters."""

T = TypeVar("T")
Builder = Callable[[Net[Any], Any, Plan[Any], Widths], Any]
"""(net, image, plan, widths) -> logits."""
Planner = Callable[[ArchParams], Plan[Any]]


@dataclass(frozen=True)
class Family:
    """A registered architecture family."""

    name: str
    build: Builder
    plan: Planner
    defaults: Mapping[str, ParamValue]
    colour: str
    """Its colour on the results site (a CSS hex colour)."""
    tokens: tuple[tuple[str, str], ...]
    """(parameter, prefix) of the parameter tokens of its names, in the order they are written."""
    aliases: tuple[str, ...] = ()
    """Other heads of thesis names meaning this family; names are written with the first one."""

    @property
    def summary(self) -> str:
        """First line of the builder's docstring."""
        return (self.build.__doc__ or "").strip().splitlines()[0]

    @property
    def head(self) -> str:
        """How thesis names of this family start."""
        return self.aliases[0] if self.aliases else self.name

    def plan_of(self, spec: ArchSpec) -> Plan[Any]:
        """The plan of `spec`, a spec of this family."""
        if spec.family != self.name:
            raise ThesislabError(f"expected a {self.name} spec, got family {spec.family!r}")
        return self.plan(arch_params(spec))


FAMILIES: dict[str, Family] = {}
"""The registry: families by name, filled as their modules are imported (see `families`)."""


def register(
    name: str,
    *,
    defaults: Mapping[str, ParamValue],
    plan: Planner,
    colour: str,
    aliases: tuple[str, ...] = (),
    tokens: tuple[tuple[str, str], ...] | None = None,
) -> Callable[[Builder], Builder]:
    """Register the decorated builder as family `name`, accepting the parameters in `defaults`;
    its names write `tokens` (default: those of `DEFAULT_TOKENS` it accepts)."""
    unknown = set(defaults) - set(PARAM_HELP)
    if unknown or not {"depth", "width"} <= set(defaults):
        raise ValueError(f"family {name!r}: bad parameter list {sorted(defaults)}")
    name_tokens = tokens or tuple(
        (param, prefix) for param, prefix in DEFAULT_TOKENS if param in defaults
    )
    if not {param for param, _ in name_tokens} <= set(defaults):
        raise ValueError(f"family {name!r}: name tokens of parameters it does not take {tokens}")

    def decorate(build: Builder) -> Builder:
        if name in FAMILIES:
            raise ValueError(f"family {name!r} is registered twice")
        FAMILIES[name] = Family(
            name, build, plan, MappingProxyType(dict(defaults)), colour, name_tokens, aliases
        )
        return build

    return decorate


@functools.cache
def _import_family_modules() -> None:
    package = importlib.import_module(FAMILY_PACKAGE)
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{FAMILY_PACKAGE}.{module.name}")


def families() -> dict[str, Family]:
    """Every registered family, by name, in alphabetical order."""
    _import_family_modules()
    return dict(sorted(FAMILIES.items()))


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
    elif isinstance(default, str):
        if isinstance(value, str):
            return value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(default, int) and value >= 0 and value == int(value):
            return int(value)
        if isinstance(default, float) and 0 <= value < 1:
            return float(value)
    expected = {
        bool: "true or false",
        int: "a non-negative integer",
        float: "a rate in [0, 1)",
        str: "a string",
    }
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


def plan_of(spec: ArchSpec) -> Plan[Any]:
    """The spec's plan: its family's blocks and prunable layers for the spec's parameters."""
    return get_family(spec.family).plan_of(spec)


def prunable_layers(spec: ArchSpec) -> list[PrunableLayer]:
    """The spec's prunable layers, in network order, with their default widths."""
    return list(plan_of(spec).layers)


def _check_widths(spec: ArchSpec, layers: tuple[PrunableLayer, ...], widths: list[int]) -> None:
    from thesislab.models.names import format_name

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


def plan_and_widths(spec: ArchSpec) -> tuple[Plan[Any], list[int]]:
    """The spec's plan and the width of each of its prunable layers, checked.

    `widths=None` takes the default widths. Raises `ThesislabError` for an unknown family or
    parameter, or widths that do not fit the plan.
    """
    from thesislab.models.names import format_name

    plan = plan_of(spec)
    for layer in plan.layers:
        if layer.default < 1 or layer.default % layer.multiple_of:
            raise ThesislabError(
                f"{format_name(spec)}: these parameters give {layer.name} {layer.default} "
                f"channels, expected a positive multiple of {layer.multiple_of}"
            )
    widths = [layer.default for layer in plan.layers] if spec.widths is None else list(spec.widths)
    _check_widths(spec, plan.layers, widths)
    return plan, widths


def resolve(spec: ArchSpec) -> ArchSpec:
    """The same network with every parameter and the width of every prunable layer explicit.

    Missing parameters take the family defaults; `widths=None` takes the default widths. Raises
    `ThesislabError` for an unknown family or parameter, or widths that do not fit the layout.
    """
    plan, widths = plan_and_widths(spec)
    explicit = {key: getattr(plan.params, key) for key in get_family(spec.family).defaults}
    return ArchSpec(family=spec.family, params=explicit, widths=widths)


@functools.cache
def architecture_key(architecture_json: str) -> str:
    """A key equal for two specs (as JSON) of the same network: the resolved spec's JSON, every
    parameter and width explicit; a spec that does not resolve is its own key."""
    spec = ArchSpec.model_validate_json(architecture_json)
    with contextlib.suppress(ThesislabError):
        spec = resolve(spec)
    return json.dumps(spec.model_dump(mode="json"), sort_keys=True)


def realise(spec: ArchSpec, net: Net[T]) -> tuple[T, T]:
    """Run the spec's family builder on `net`: the network's image input and its logits."""
    plan, values = plan_and_widths(spec)
    widths = Widths(plan.layers, values)
    image = net.input(INPUT_SHAPE, name="image")
    logits = get_family(spec.family).build(net, image, plan, widths)
    if widths.unread():
        raise ValueError(f"{spec.family}: the builder reads no width of {widths.unread()}")
    return image, logits


def build_model(spec: ArchSpec) -> keras.Model:
    """Build the spec's network: a Keras model from 32x32x3 images to 10 logits."""
    import keras

    from thesislab.models.layers import KerasNet
    from thesislab.models.names import format_name

    image, logits = realise(spec, KerasNet())
    return keras.Model(image, logits, name=format_name(spec))
