"""Thesis-style model names, parsed into an `ArchSpec` plus recipe tags, and written back.

Grammar of the 2019 thesis (see its results CSVs)::

    <arch>_d<depth>[_w<width>][_e<exp>|_er<exp>][_g<groups>][_se<ratio>][_<recipe tag>...]
    res-<depth>[-<widen>]          WideResNet of standard depth, widen factor (width = 16 * widen)
    wideresnet_<depth>_<widen>...  the same, spelled out
    wrn_<depth>_<widen>...         the same, abbreviated

Everything after the architecture part (`cosine`, `dropout`, `KD`, `t2`, `l02`, `quantized`, ...)
is a recipe tag: it describes how a network was trained or deployed, not what it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from thesislab.errors import ThesislabError
from thesislab.models.spec import ArchSpec, ParamValue

FAMILY_ALIASES: dict[str, str] = {
    "res": "wideresnet",
    "wrn": "wideresnet",
    "wideresnet": "wideresnet",
    "mobilenetv1": "mobilenetv1",
    "mobilenetv2": "mobilenetv2",
    "mnasnet": "mnasnet",
    "shufflenetv1": "shufflenetv1",
    "shufflenetv2": "shufflenetv2",
    "effnet": "effnet",
    "squeezenext": "squeezenext",
    "condensenet": "condensenet",
    "nasnet": "nasnet",
}

# Default first-stage width where a thesis name leaves it out (the thesis's own defaults).
DEFAULT_WIDTH: dict[str, int] = {"mobilenetv1": 32}

WRN_BASE_WIDTH = 16
"""WideResNet's first stage has 16 x widen-factor channels."""

# Order in which parameters are written back into a name, with their name prefixes.
_PARAM_TAGS: tuple[tuple[str, str], ...] = (
    ("depth", "d"),
    ("width", "w"),
    ("expansion", "er"),
    ("groups", "g"),
    ("se_ratio", "se"),
)
_PARAM_TOKEN = re.compile(r"^(d|w|er|e|g|se)(\d+)$")
_TOKEN_PARAM = {
    "d": "depth",
    "w": "width",
    "er": "expansion",
    "e": "expansion",
    "g": "groups",
    "se": "se_ratio",
}
_WRN_DASHED = re.compile(r"^(?:res|wrn)-(\d+)(?:-(\d+))?(?:-(.*))?$")
_WRN_SPELLED = re.compile(r"^(?:wideresnet|wrn)_(\d+)_(\d+)(?:_(.*))?$")


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


def _se_tag(tag: str) -> tuple[str, int] | None:
    match = _PARAM_TOKEN.match(tag)
    return (match.group(1), int(match.group(2))) if match else None


def _wrn(depth: str, widen: str | None, rest: str | None) -> ParsedName:
    params: dict[str, ParamValue] = {"depth": int(depth)}
    params["width"] = WRN_BASE_WIDTH * int(widen) if widen else None
    tags: list[str] = []
    for tag in (rest or "").replace("-", "_").split("_"):
        parsed = _se_tag(tag)
        if parsed and parsed[0] == "se":
            params["se_ratio"] = parsed[1]
        elif tag:
            tags.append(tag)
    return ParsedName(ArchSpec(family="wideresnet", params=params), tuple(tags))


def parse_name(name: str) -> ParsedName:
    """Parse a thesis-style name such as `mobilenetv2_d12_er6_w24_se2_dropout`.

    Raises `ThesislabError` when the name does not start with a known family.
    """
    for pattern in (_WRN_DASHED, _WRN_SPELLED):
        match = pattern.match(name)
        if match:
            return _wrn(*match.groups())
    head, *tokens = name.split("_")
    family = FAMILY_ALIASES.get(head)
    if family is None:
        known = ", ".join(sorted(set(FAMILY_ALIASES)))
        raise ThesislabError(
            f"cannot parse model name {name!r}: expected it to start with one of {known}"
        )
    params: dict[str, ParamValue] = {}
    tags: list[str] = []
    for position, token in enumerate(tokens):
        parsed = _se_tag(token)
        if parsed is None or tags:
            tags.extend(tokens[position:])
            break
        params[_TOKEN_PARAM[parsed[0]]] = parsed[1]
    if "width" not in params and family in DEFAULT_WIDTH:
        params["width"] = DEFAULT_WIDTH[family]
    ordered = {key: params[key] for key, _ in _PARAM_TAGS if key in params}
    return ParsedName(ArchSpec(family=family, params=ordered), tuple(tags))


def format_name(spec: ArchSpec) -> str:
    """Write a spec's family and parameters back as a thesis-style name (widths not included)."""
    head = "res" if spec.family == "wideresnet" else spec.family
    parts = [head]
    for key, prefix in _PARAM_TAGS:
        value = spec.params.get(key)
        if value is not None:
            parts.append(f"{prefix}{value}")
    return "_".join(parts)
