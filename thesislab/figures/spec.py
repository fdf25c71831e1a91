"""The figure spec: what a figure of the results table shows, as a small YAML file.

The explore page's "Figure spec" download writes one and `thesislab figure` renders it, from
the results of the day:

```yaml
x: latency_ms          # latency_ms | params | macs | size_bytes | training_time_s
y: accuracy            # accuracy | error (1 - accuracy)
colour: family         # family | pruning_method | quantization | distilled | source | role
filters:               # column -> the values kept; a column not named keeps every value
  quantization: [int8]
  role: [published]    # role not filtered: published results only
devices: [raspberry-pi-4]   # empty or absent: every device
log_x: false
log_y: false
highlight: []          # configuration names drawn emphasised and labelled
title: null            # default: "<y title> against <x title>"
width_cm: 8.5
font_size_pt: 9
```

Filter values are written as the site's table writes them: `true`/`false` for `distilled`, and
`none` where a value is missing (results without pruning: `pruning_method: [none]`).
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Literal, get_args

import pydantic
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from thesislab.errors import ThesislabError, shown
from thesislab.results.columns import value_text

XField = Literal["latency_ms", "params", "macs", "size_bytes", "training_time_s"]
YField = Literal["accuracy", "error"]
ColourField = Literal["family", "pruning_method", "quantization", "distilled", "source", "role"]

X_FIELDS: tuple[str, ...] = get_args(XField)
Y_FIELDS: tuple[str, ...] = get_args(YField)
COLOUR_FIELDS: tuple[str, ...] = get_args(ColourField)
FILTER_FIELDS = COLOUR_FIELDS
"""The columns a figure filters on (the devices have a key of their own)."""

MIN_WIDTH_CM, MAX_WIDTH_CM = 4.0, 40.0
MIN_FONT_SIZE_PT, MAX_FONT_SIZE_PT = 5.0, 24.0


def _one_of(what: str, value: object, valid: tuple[str, ...]) -> str:
    if value not in valid:
        raise ValueError(f"expected {what} among {', '.join(valid)}, received {shown(value)}")
    return str(value)


_CHOICES: dict[str, tuple[str, ...]] = {"x": X_FIELDS, "y": Y_FIELDS, "colour": COLOUR_FIELDS}
"""The fields each of a spec's x, y and colour may name."""


class FigureSpec(BaseModel):
    """What a figure shows, how large it is drawn, and its fonts' size."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    x: XField = "latency_ms"
    y: YField = "accuracy"
    colour: ColourField = "family"
    filters: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    """Per column, the values kept; a column not named keeps every value."""
    devices: tuple[str, ...] = ()
    """The devices kept; none named: every device."""
    log_x: bool = False
    log_y: bool = False
    highlight: tuple[str, ...] = ()
    title: str | None = None
    width_cm: float = Field(default=8.5, ge=MIN_WIDTH_CM, le=MAX_WIDTH_CM)
    font_size_pt: float = Field(default=9.0, ge=MIN_FONT_SIZE_PT, le=MAX_FONT_SIZE_PT)

    @field_validator("x", "y", "colour", mode="before")
    @classmethod
    def _field_known(cls, value: object, info: ValidationInfo) -> str:
        name = str(info.field_name)
        return _one_of(name, value, _CHOICES[name])

    @field_validator("filters", mode="before")
    @classmethod
    def _filters_known(cls, value: object) -> object:
        if not isinstance(value, dict):
            return value  # pydantic says what it expected
        filters: dict[str, list[str]] = {}
        for column, values in value.items():
            _one_of("a filter's column", column, FILTER_FIELDS)
            listed = values if isinstance(values, list | tuple) else [values]
            filters[column] = [value_text(item) for item in listed]
        return filters

    @field_validator("devices", "highlight", mode="before")
    @classmethod
    def _texts(cls, value: object) -> object:
        if value is None:
            return ()
        return [str(item) for item in value] if isinstance(value, list | tuple) else value


SPEC_KEYS: tuple[str, ...] = tuple(FigureSpec.model_fields)


def _problem(error: pydantic.ValidationError) -> str:
    """The first problem of a spec, on one line: which key, what was expected."""
    first = error.errors()[0]
    key = ".".join(str(part) for part in first["loc"]) or "(top level)"
    if first["type"] == "extra_forbidden":
        close = difflib.get_close_matches(key, SPEC_KEYS, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        return f"unknown key {key!r}{hint}: expected keys among {', '.join(SPEC_KEYS)}"
    message = str(first["msg"]).removeprefix("Value error, ")
    if message.startswith("expected"):
        return f"{key}: {message}"
    return f"{key}: {message} (received {shown(first.get('input'))})"


def figure_spec(values: dict[str, Any], source: str = "figure spec") -> FigureSpec:
    """A figure spec from its keys' values, or a one-line error naming the key at fault and
    the valid names."""
    try:
        return FigureSpec.model_validate(values)
    except pydantic.ValidationError as error:
        raise ThesislabError(f"{source}: {_problem(error)}") from None


def load_spec(path: Path) -> FigureSpec:
    """The figure spec in the YAML file `path`."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ThesislabError(f"{path}: expected a readable figure spec, {error.strerror}") from None
    except (UnicodeDecodeError, yaml.YAMLError) as error:
        reason = str(error).splitlines()[0]
        raise ThesislabError(f"{path}: expected a YAML figure spec, received {reason}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ThesislabError(f"{path}: expected a mapping of keys, received {shown(data)}")
    return figure_spec(data, str(path))


def with_options(spec: FigureSpec, options: dict[str, Any]) -> FigureSpec:
    """`spec` with the values given as options in place of its own (a filter given replaces
    that column's filter alone)."""
    values = spec.model_dump()
    given = {key: value for key, value in options.items() if value is not None}
    if "filters" in given:
        given["filters"] = {**values["filters"], **given["filters"]}
    return figure_spec({**values, **given}, "options")
