"""Presets with overrides: a named value of a settings model, some of its fields changed.

Training recipes (`train.presets`) and latency protocols (`bench.protocol.PRESETS`) are both
presets: a study, a command line or a file names one and overrides any of its fields.
`resolve_preset` is the one way to do that: an unknown preset, an unknown field or a value out of
range is a one-line `ThesislabError`; a field given as None keeps the preset's value; a mapping
merges into the field it overrides key by key (``distillation: {temperature: 4}`` keeps the
teacher).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import pydantic
from pydantic import BaseModel

from thesislab.errors import ThesislabError, validation_message

Settings = TypeVar("Settings", bound=BaseModel)


def merged(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """`base` updated by the `overrides` that are not None, mappings key by key."""
    result = dict(base)
    for key, value in overrides.items():
        if isinstance(value, Mapping):
            inner = result.get(key)
            value = merged(inner if isinstance(inner, Mapping) else {}, value) or None
        if value is not None:
            result[key] = value
    return result


def preset_named(presets: Mapping[str, Settings], name: str, what: str) -> Settings:
    """The preset `name` of `presets`, `what` naming their kind in the error."""
    if name not in presets:
        raise ThesislabError(
            f"unknown {what} preset {name!r}: expected one of {', '.join(sorted(presets))}"
        )
    return presets[name]


def overridden(
    base: Settings, overrides: Mapping[str, Any], what: str, renamed: str | None = None
) -> Settings:
    """`base` with `overrides` (see the module docstring); `base` itself where they change
    nothing. `renamed`: the `name` an overridden preset takes (a protocol becomes 'custom')."""
    values = base.model_dump()
    changed = merged(values, overrides)
    if changed == values:
        return base
    if renamed is not None:
        changed["name"] = renamed
    try:
        return type(base).model_validate(changed)
    except pydantic.ValidationError as error:
        raise ThesislabError(f"{what} {validation_message(error)}") from None


def resolve_preset(
    presets: Mapping[str, Settings],
    name: str,
    overrides: Mapping[str, Any],
    what: str,
    renamed: str | None = None,
) -> Settings:
    """The preset `name` of `presets` with `overrides` (see `overridden`)."""
    return overridden(preset_named(presets, name, what), overrides, what, renamed)
