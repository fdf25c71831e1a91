"""Thesis-style model names, read into an `ArchSpec` plus recipe tags, and written back.

Grammar of the 2019 thesis (see its results CSVs)::

    <arch>_d<depth>[_w<width>][_e<exp>|_er<exp>][_g<groups>][_se<ratio>][_dropout][_<tag>...]
    res-<depth>[-<widen>][-<tag>...]      WideResNet of standard depth, widen factor
    res_d<depth>_w<width>...              the same, width = 16 x widen (first-stage channels)
    wideresnet_<depth>_<widen>...         the same, spelled out
    <tag>-res-<depth>-<widen>...          a WideResNet named after the method that made it

Parameter tokens may come in any order (the thesis writes `mobilenetv2_d12_er6_w24` but
`effnet_d12_w32_e4`); `format_name` writes each family's own order back. `dropout` is a parameter
(a dropout layer of rate 0.2 before the classifier). Every other part is a recipe tag of
`recipe_tags` (`cosine`, `KD`, `t2`, `l02`, `quantized`, `pf=0.4`, ...): it describes how a
network was trained, pruned or deployed, not what it is. A missing width takes the thesis default
(16 for a WideResNet, i.e. widen factor 1; 32 otherwise).

Names are read exactly: a part that is neither a token of the family's parameters nor a recipe
tag, an empty part, a token without its value and a part given twice are refused, in one line
naming the part and what the family accepts. The command line, studies and the thesis importer
all read names here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from thesislab.errors import ThesislabError, validation_message
from thesislab.models.recipe_tags import accepted_tags, tag_kind
from thesislab.models.registry import DEFAULT_TOKENS, Family, families
from thesislab.models.spec import ArchSpec, ParamValue

WRN_BASE_WIDTH = 16
"""WideResNet's first stage has 16 x widen-factor channels."""

THESIS_DROPOUT = 0.2
"""Rate of the dropout layer that the `dropout` name token stands for."""


def default_width(family: str) -> int:
    """First-stage width the thesis used when a name gives none (its `--width` default)."""
    return WRN_BASE_WIDTH if family == "wideresnet" else 32


_PARAM_TOKEN = re.compile(r"^([a-z]+)(\d+)$")
_DROPOUT_TOKEN = re.compile(r"^dropout(\d*\.\d+)?$")
_WRN_DASHED = re.compile(r"^(?:(?P<method>[A-Za-z]+)-)?(?:res|wrn)-(\d+)(?:-(\d+))?(?:[-_](.*))?$")
_WRN_SPELLED = re.compile(r"^(?:wideresnet|wrn)_(\d+)_(\d+)(?:_(.*))?$")
_TAG_SEPARATOR = re.compile(r"_|(?<![0-9]e)-")
"""Tags are separated by `_` or `-`, except the `-` of an exponent (`rs=6e-9`)."""


@dataclass(frozen=True)
class ParsedName:
    """A thesis name split into what the network is and how it was made."""

    spec: ArchSpec
    tags: tuple[str, ...] = field(default=())

    @property
    def distilled(self) -> bool:
        """Trained with knowledge distillation (`KD`, `newKD`, `KDnoT` in the name)."""
        return any("KD" in tag for tag in self.tags)

    @property
    def quantized(self) -> bool:
        """An int8 post-training quantized model (`_quantized` in the name)."""
        return "quantized" in self.tags


def family_aliases() -> dict[str, str]:
    """Every head a thesis name may start with (a family's name and its aliases), and its family."""
    return {
        alias: family.name
        for family in families().values()
        for alias in (family.name, *family.aliases)
    }


def _accepted(family: Family | None) -> str:
    """What a part of a name of `family` may be (of a name without architecture: None)."""
    tags = f"recipe tags ({accepted_tags()})"
    if family is None:
        return f"a family head ({', '.join(sorted(family_aliases()))}) or {tags}"
    parameters = [f"{prefix}<n>" for _, prefix in family.tokens]
    if "dropout" in family.defaults:
        parameters.append("dropout[<rate>]")
    return f"{family.name} parameters ({', '.join(parameters)}) or {tags}"


def _read_parts(
    name: str, family: Family | None, parts: Iterable[str], params: dict[str, ParamValue]
) -> tuple[str, ...]:
    """Sort the parts of `name` into parameters of `family` (added to `params`, which holds those
    its head gave) and recipe tags; refuse an unknown, empty, valueless or repeated part."""
    prefixes = {prefix: param for param, prefix in family.tokens} if family else {}
    takes_dropout = family is not None and "dropout" in family.defaults
    tags: list[str] = []

    def refusal(received: str) -> ThesislabError:
        return ThesislabError(
            f"model name {name!r}: expected {_accepted(family)}, received {received}"
        )

    for part in parts:
        parameter = _PARAM_TOKEN.match(part)
        dropout = _DROPOUT_TOKEN.match(part)
        value: ParamValue
        if parameter and parameter.group(1) in prefixes:
            key, value = prefixes[parameter.group(1)], int(parameter.group(2))
        elif dropout and takes_dropout:
            key, value = "dropout", float(dropout.group(1) or THESIS_DROPOUT)
        elif not part:
            raise refusal("an empty part (two separators in a row, or one at an end)")
        elif part in prefixes:
            raise refusal(f"{part!r} without its value")
        elif part in tags:
            raise refusal(f"the tag {part!r} twice")
        else:
            kind = tag_kind(part)
            if kind is None:
                raise refusal(f"unknown part {part!r}")
            if kind == "number" and not tags:
                raise refusal(f"{part!r}, a number that follows no tag")
            tags.append(part)
            continue
        if key in params:
            raise refusal(f"{part!r} while its {key} is given already")
        params[key] = value
    return tuple(tags)


def _wrn(
    name: str, depth: str, widen: str | None, rest: str | None, method: str | None
) -> ParsedName:
    params: dict[str, ParamValue] = {"depth": int(depth)}
    if widen:
        params["width"] = WRN_BASE_WIDTH * int(widen)
    parts = [method] if method else []
    if rest is not None:
        parts += _TAG_SEPARATOR.split(rest)
    tags = _read_parts(name, families()["wideresnet"], parts, params)
    params.setdefault("width", default_width("wideresnet"))
    return ParsedName(ArchSpec(family="wideresnet", params=params), tags)


def parse_name(name: str, *, base: ArchSpec | None = None) -> ParsedName:
    """Read a thesis-style name such as `mobilenetv2_d12_er6_w24_se2_dropout_cosine`.

    A name that names no architecture (`unpruned-1` in the pruning results) is read as recipe tags
    on `base` when one is given. Raises `ThesislabError` (one line) when the name does not start
    with a known family and there is no `base`, or when one of its parts is unknown to its family
    and no recipe tag, empty, without its value or repeated.
    """
    dashed = _WRN_DASHED.match(name)
    if dashed:
        return _wrn(name, dashed.group(2), dashed.group(3), dashed.group(4), dashed.group("method"))
    spelled = _WRN_SPELLED.match(name)
    if spelled:
        depth, widen, rest = spelled.groups()
        return _wrn(name, depth, widen, rest, None)
    head, *parts = name.split("_")
    aliases = family_aliases()
    if head not in aliases:
        if base is not None:
            return ParsedName(base, _read_parts(name, None, _TAG_SEPARATOR.split(name), {}))
        raise ThesislabError(
            f"model name {name!r}: expected it to start with one of "
            f"{', '.join(sorted(aliases))}, received {head!r}"
        )
    family = families()[aliases[head]]
    params: dict[str, ParamValue] = {}
    tags = _read_parts(name, family, parts, params)
    params.setdefault("width", default_width(family.name))
    return ParsedName(ArchSpec(family=family.name, params=params), tags)


def _dropout_token(spec: ArchSpec) -> list[str]:
    rate = spec.params.get("dropout")
    if not rate:
        return []
    return ["dropout" if rate == THESIS_DROPOUT else f"dropout{rate}"]


def format_name(
    spec: ArchSpec, *, tags: Sequence[str] = (), style: Literal["thesis", "dashed"] = "thesis"
) -> str:
    """Write a spec's family and thesis parameters back as a thesis-style name, then `tags`.

    Widths and parameters the thesis never wrote in names (`all_prunable`) are left out.
    `style="dashed"` writes a WideResNet whose width is a multiple of 16 as `res-<depth>-<widen>`.
    `parse_name` reads what this writes back into the same spec (parameters the name gives) and
    tags.
    """
    params = spec.params
    depth, width = params.get("depth"), params.get("width")
    dashed = style == "dashed" and spec.family == "wideresnet" and isinstance(depth, int)
    if dashed and isinstance(width, int) and width % WRN_BASE_WIDTH == 0:
        parts = ["res", str(depth), str(width // WRN_BASE_WIDTH)]
        if params.get("se_ratio"):
            parts.append(f"se{params['se_ratio']}")
        return "-".join([*parts, *_dropout_token(spec), *tags])
    family = families().get(spec.family)
    parts = [family.head if family else spec.family]
    for key, prefix in family.tokens if family else DEFAULT_TOKENS:
        value = params.get(key)
        if value:
            parts.append(f"{prefix}{value}")
    return "_".join([*parts, *_dropout_token(spec), *tags])


def read_spec(text: str) -> tuple[ArchSpec, str | None]:
    """A spec from a command-line argument: a thesis-style name, an `ArchSpec` JSON text, or the
    path of a JSON file. The name comes back too when a name was given."""
    import pydantic

    text = text.strip()
    if text.endswith(".json"):
        path = Path(text)
        if not path.is_file():
            raise ThesislabError(f"expected an ArchSpec JSON file, found no file at {text!r}")
        text = path.read_text(encoding="utf-8")
    elif not text.startswith("{"):
        return parse_name(text).spec, text
    try:
        return ArchSpec.model_validate_json(text), None
    except pydantic.ValidationError as error:
        raise ThesislabError(
            f"expected an ArchSpec JSON object (family, params, widths): "
            f"{validation_message(error)}"
        ) from None
