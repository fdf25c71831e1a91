"""One fixed colour per architecture family and per pruning method, the same on every page.

Known names get a hand-picked colour; any other name gets one from a spare palette chosen by a hash
of the name, so it keeps its colour from build to build whatever else is in the data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

NO_METHOD = "unpruned"
"""The label of rows that no pruning method produced."""

COLOURS: dict[str, str] = {
    # Families (Tableau 10).
    "wideresnet": "#4e79a7",
    "mobilenetv1": "#f28e2b",
    "mobilenetv2": "#e15759",
    "mnasnet": "#76b7b2",
    "shufflenetv1": "#59a14f",
    "shufflenetv2": "#edc948",
    "effnet": "#b07aa1",
    "squeezenext": "#ff9da7",
    "condensenet": "#9c755f",
    "nasnet": "#bab0ac",
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
    digest = hashlib.sha256(name.encode()).digest()
    return _SPARE[digest[0] % len(_SPARE)]


def colour_range(names: Iterable[str]) -> tuple[list[str], list[str]]:
    """The sorted names and their colours: a scale domain and range for Vega-Lite."""
    domain = sorted(set(names))
    return domain, [colour_of(name) for name in domain]
