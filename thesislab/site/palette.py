"""One fixed colour per architecture family and per pruning method, the same on every page.

Families take the colour their registry entry gives (`thesislab.models.registry`), methods and
roles a hand-picked one here; any other name gets one from a spare palette chosen by a hash
of the name, so it keeps its colour from build to build whatever else is in the data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from thesislab.models.registry import families

NO_METHOD = "unpruned"
"""The label of rows that no pruning method produced."""

COLOURS: dict[str, str] = {
    # Pruning methods (uniform, the baseline, in black).
    "uniform": "#222222",
    "netadapt": "#1f77b4",
    "morphnet": "#ff7f0e",
    "fisher": "#2ca02c",
    "random": "#9467bd",
    NO_METHOD: "#8c8c8c",
    # Roles in paired charts.
    "fp32": "#4e79a7",
    "int8": "#e15759",
}

_SPARE = (
    "#17becf",
    "#bcbd22",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#aec7e8",
    "#ffbb78",
    "#98df8a",
    "#c5b0d5",
    "#c49c94",
)


def colour_of(name: str) -> str:
    """The colour of a family, method or role: fixed for known names, stable for others."""
    if name in COLOURS:
        return COLOURS[name]
    family = families().get(name)
    if family is not None:
        return family.colour
    digest = hashlib.sha256(name.encode()).digest()
    return _SPARE[digest[0] % len(_SPARE)]


def colour_range(names: Iterable[str]) -> tuple[list[str], list[str]]:
    """The sorted names and their colours: a scale domain and range for Vega-Lite."""
    domain = sorted(set(names))
    return domain, [colour_of(name) for name in domain]
