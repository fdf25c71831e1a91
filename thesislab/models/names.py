"""Thesis-style model names, parsed into an `ArchSpec` plus recipe tags, and written back.

Grammar of the 2019 thesis (see its results CSVs)::

    <arch>_d<depth>[_w<width>][_e<exp>|_er<exp>][_g<groups>][_se<ratio>][_dropout][_<tag>...]
    res-<depth>[-<widen>][-<tag>...]      WideResNet of standard depth, widen factor
    res_d<depth>_w<width>...              the same, width = 16 x widen (first-stage channels)
    wideresnet_<depth>_<widen>...         the same, spelled out
    <tag>-res-<depth>-<widen>...          a WideResNet named after the method that made it

Parameter tokens may come in any order (the thesis writes `mobilenetv2_d12_er6_w24` but
`effnet_d12_w32_e4`); `format_name` writes each family's own order back. `dropout` is a parameter
(a dropout layer of rate 0.2 before the classifier). Everything else after the architecture part
(`cosine`, `KD`, `t2`, `l02`, `quantized`, `pf=0.4`, ...) is a recipe tag: it describes how a
network was trained, pruned or deployed, not what it is. A missing width takes the thesis default
(16 for a WideResNet, i.e. widen factor 1; 32 otherwise).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from thesislab.errors import ThesislabError, validation_message
from thesislab.models.registry import DEFAULT_TOKENS, families
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
_WRN_DASHED = re.compile(r"^(?:(?P<method>[A-Za-z]+)-)?(?:res|wrn)-(\d+)(?:-(\d+))?(?:-(.*))?$")
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


def _prefix_params() -> dict[str, str]:
    """Each parameter-token prefix of any family (`d`, `er`, ...) and the parameter it gives."""
    return {prefix: param for family in families().values() for param, prefix in family.tokens}


def _read_tokens(family: str, tokens: list[str], params: dict[str, ParamValue]) -> list[str]:
    """Move parameter tokens into `params` (the first run of them, and `dropout` anywhere)."""
    prefixes = _prefix_params()
    tags: list[str] = []
    for token in tokens:
        parameter = _PARAM_TOKEN.match(token)
        dropout = _DROPOUT_TOKEN.match(token)
        if parameter and parameter.group(1) in prefixes and not tags:
            params[prefixes[parameter.group(1)]] = int(parameter.group(2))
        elif dropout:
            params["dropout"] = float(dropout.group(1) or THESIS_DROPOUT)
        elif token:
            tags.append(token)
    params.setdefault("width", default_width(family))
    return tags


def _wrn(depth: str, widen: str | None, rest: str | None, method: str | None) -> ParsedName:
    params: dict[str, ParamValue] = {"depth": int(depth)}
    if widen:
        params["width"] = WRN_BASE_WIDTH * int(widen)
    tags = _read_tokens("wideresnet", _TAG_SEPARATOR.split(rest or ""), params)
    prefix = (method,) if method else ()
    return ParsedName(ArchSpec(family="wideresnet", params=params), prefix + tuple(tags))


def parse_name(name: str, *, base: ArchSpec | None = None) -> ParsedName:
    """Parse a thesis-style name such as `mobilenetv2_d12_er6_w24_se2_dropout`.

    A name that names no architecture (`unpruned-1` in the pruning results) is read as recipe tags
    on `base` when one is given. Raises `ThesislabError` when the name does not start with a known
    family and there is no `base`.
    """
    dashed = _WRN_DASHED.match(name)
    if dashed:
        return _wrn(dashed.group(2), dashed.group(3), dashed.group(4), dashed.group("method"))
    spelled = _WRN_SPELLED.match(name)
    if spelled:
        depth, widen, rest = spelled.groups()
        return _wrn(depth, widen, rest, None)
    head, *tokens = name.split("_")
    aliases = family_aliases()
    family = aliases.get(head)
    if family is None:
        if base is not None:
            return ParsedName(base, tuple(_TAG_SEPARATOR.split(name)))
        known = ", ".join(sorted(aliases))
        raise ThesislabError(
            f"cannot parse model name {name!r}: expected it to start with one of {known}"
        )
    params: dict[str, ParamValue] = {}
    tags = _read_tokens(family, tokens, params)
    return ParsedName(ArchSpec(family=family, params=params), tuple(tags))


def _dropout_token(spec: ArchSpec) -> list[str]:
    rate = spec.params.get("dropout")
    if not rate:
        return []
    return ["dropout" if rate == THESIS_DROPOUT else f"dropout{rate}"]


def format_name(spec: ArchSpec, *, style: Literal["thesis", "dashed"] = "thesis") -> str:
    """Write a spec's family and thesis parameters back as a thesis-style name.

    Widths and parameters the thesis never wrote in names (`all_prunable`) are left out.
    `style="dashed"` writes a WideResNet whose width is a multiple of 16 as `res-<depth>-<widen>`.
    """
    params = spec.params
    width = params.get("width")
    dashed = style == "dashed" and spec.family == "wideresnet"
    if dashed and isinstance(width, int) and width % WRN_BASE_WIDTH == 0:
        parts = ["res", str(params.get("depth")), str(width // WRN_BASE_WIDTH)]
        if params.get("se_ratio"):
            parts.append(f"se{params['se_ratio']}")
        return "-".join(parts + _dropout_token(spec))
    family = families().get(spec.family)
    parts = [family.head if family else spec.family]
    for key, prefix in family.tokens if family else DEFAULT_TOKENS:
        value = params.get(key)
        if value:
            parts.append(f"{prefix}{value}")
    return "_".join(parts + _dropout_token(spec))


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
