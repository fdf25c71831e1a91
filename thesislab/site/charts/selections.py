"""What a chart draws at each selection: how many points, where its axes end, where y = x runs.

A selection is one value per selector of the chart and, where it has the thesis-2019 reference
layer, a scope: 'all' while the layer is shown, 'own' while it is hidden. The layers that depend
on the selection read these tables, filtered as the points are:
- `counts`: the points drawn at each selection, so that an empty one says so;
- `padding`: invisible points widening an axis whose points span too little to be ticked (one
  point, or several at nearly one value), so that it gets round ticks either side of them;
- `diagonals`: the ends of the line y = x where the two axes' ranges overlap.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

ALL = "all"
"""The scope with the thesis-2019 reference layer (or of a chart without one)."""
OWN = "own"
"""The scope without the reference layer."""

LOG_MIN_RATIO = 2.0
"""The least factor a logarithmic axis spans: a single point gets a tick either side."""
LINEAR_MIN_SPAN = 0.02
"""The least span of a linear axis: two percentage points (the linear axes show accuracies)."""


@dataclass(frozen=True)
class Selection:
    """The points drawn at one selection."""

    values: dict[str, str]
    """The selectors' values."""
    scope: str
    rows: pd.DataFrame


def selections(
    drawn: pd.DataFrame, choices: Mapping[str, Sequence[str]], has_reference: bool
) -> list[Selection]:
    """Every selection of a chart whose drawable rows are `drawn`: each combination of the
    selectors' `choices`, in each scope."""
    import pandas as pd

    chosen = list(choices)
    texts = {column: drawn[column].astype(str) for column in chosen}
    result: list[Selection] = []
    for combination in itertools.product(*choices.values()):
        values = dict(zip(chosen, combination, strict=True))
        keep = pd.Series(True, index=drawn.index)
        for column, value in values.items():
            keep &= texts[column] == value
        rows = drawn[keep]
        scopes = {ALL: rows, **({OWN: rows[~rows["reference"]]} if has_reference else {})}
        result.extend(Selection(values, scope, part) for scope, part in scopes.items())
    return result


def _keys(selection: Selection) -> dict[str, str]:
    return {**selection.values, "scope": selection.scope}


def counts(chosen: list[Selection]) -> pd.DataFrame:
    """Per selection: the points drawn (`points`) and those of the reference layer hidden there
    (`hidden`: in scope 'own', the reference points that scope 'all' draws)."""
    import pandas as pd

    drawn_in_all = {
        tuple(selection.values.items()): len(selection.rows)
        for selection in chosen
        if selection.scope == ALL
    }
    return pd.DataFrame(
        [
            {
                **_keys(selection),
                "points": len(selection.rows),
                "hidden": drawn_in_all[tuple(selection.values.items())] - len(selection.rows),
            }
            for selection in chosen
        ]
    )


def _widened(values: pd.Series, log: bool) -> tuple[float, float] | None:
    """The ends of an axis spanning at least the least span, centred on `values`' range, if
    their own range is narrower."""
    low, high = float(values.min()), float(values.max())
    if log:
        if high / low >= LOG_MIN_RATIO:
            return None
        centre, half = math.sqrt(low * high), math.sqrt(LOG_MIN_RATIO)
        return centre / half, centre * half
    if high - low >= LINEAR_MIN_SPAN:
        return None
    centre = (low + high) / 2
    return centre - LINEAR_MIN_SPAN / 2, centre + LINEAR_MIN_SPAN / 2


def padding(chosen: list[Selection], x: str, y: str, log_x: bool, log_y: bool) -> pd.DataFrame:
    """Per selection with points, two invisible points at the ends of each axis whose points
    span less than the least span, placed on the other axis at a point's value."""
    import pandas as pd

    rows = []
    for selection in chosen:
        points = selection.rows
        if points.empty:
            continue
        widened_x, widened_y = _widened(points[x], log_x), _widened(points[y], log_y)
        anchor_x, anchor_y = float(points[x].iloc[0]), float(points[y].iloc[0])
        for end in widened_x or ():
            rows.append({**_keys(selection), x: end, y: anchor_y})
        for end in widened_y or ():
            rows.append({**_keys(selection), x: anchor_x, y: end})
    return pd.DataFrame(rows, columns=_columns(chosen, x, y))


def diagonals(chosen: list[Selection], x: str, y: str) -> pd.DataFrame:
    """Per selection, the ends of the line y = x where the ranges of the two axes overlap: it
    leaves each axis the range of its points. None where they do not overlap."""
    import pandas as pd

    rows = []
    for selection in chosen:
        points = selection.rows
        if points.empty:
            continue
        low = max(float(points[x].min()), float(points[y].min()))
        high = min(float(points[x].max()), float(points[y].max()))
        if low < high:
            rows += [{**_keys(selection), x: end, y: end} for end in (low, high)]
    return pd.DataFrame(rows, columns=_columns(chosen, x, y))


def _columns(chosen: list[Selection], x: str, y: str) -> list[str]:
    selectors = list(chosen[0].values) if chosen else []
    return list(dict.fromkeys([*selectors, "scope", x, y]))
