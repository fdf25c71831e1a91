"""Accuracy-latency Pareto frontiers: pure functions over sequences (or numpy arrays), no pandas.

A point is on the frontier when no other point is at least as fast and at least as accurate, and
strictly better in one of the two. Charts draw the frontier as a step line (the best accuracy
reachable within a latency budget); methods are compared at matched latency by interpolating a
baseline's frontier between its points, in log latency as the charts' axis is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


def pareto_front(
    latency: Sequence[float | None] | np.ndarray, accuracy: Sequence[float | None] | np.ndarray
) -> list[int]:
    """Indices of the frontier points, fastest first (so accuracy increases along the list).

    Points with a missing latency or accuracy are ignored; of exact duplicates the first is kept.
    """
    import numpy as np

    if len(latency) != len(accuracy):
        raise ValueError(
            f"expected as many accuracies as latencies ({len(latency)}), got {len(accuracy)}"
        )
    speed = np.asarray(latency, dtype=float)
    score = np.asarray(accuracy, dtype=float)
    usable = np.flatnonzero(~np.isnan(speed) & ~np.isnan(score))
    # Fastest first; among equal latencies the most accurate first; ties keep input order.
    points = usable[np.lexsort((usable, -score[usable], speed[usable]))]
    ordered = score[points]
    best_before = np.maximum.accumulate(np.concatenate(([-math.inf], ordered)))[:-1]
    front: list[int] = points[ordered > best_before].tolist()
    return front


def interpolate_front(
    front_latency: Sequence[float], front_accuracy: Sequence[float], latency: float
) -> float | None:
    """The frontier's accuracy at `latency`, interpolated linearly in log latency between the two
    frontier points around it; None outside the frontier's latency range.

    `front_latency` and `front_accuracy` describe a frontier as `pareto_front` orders it.
    """
    (accuracy,) = front_accuracies(front_latency, front_accuracy, [latency])
    return None if math.isnan(accuracy) else float(accuracy)


def front_accuracies(
    front_latency: Sequence[float],
    front_accuracy: Sequence[float],
    latencies: Sequence[float] | np.ndarray,
) -> np.ndarray:
    """`interpolate_front` at each of `latencies` at once: NaN outside the frontier's range."""
    import numpy as np

    x, y = np.asarray(front_latency, dtype=float), np.asarray(front_accuracy, dtype=float)
    at = np.asarray(latencies, dtype=float)
    found = np.full(len(at), math.nan)
    if not len(x):
        return found
    inside = np.flatnonzero((x[0] <= at) & (at <= x[-1]))
    if len(x) == 1:
        found[inside] = y[0]
        return found
    # The first pair of points around each latency: (left, right], or [x[0], x[1]].
    right = np.searchsorted(x, at[inside], side="left").clip(1, len(x) - 1)
    left_x, right_x, left_y, right_y = x[right - 1], x[right], y[right - 1], y[right]
    latency = at[inside]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.log(latency / left_x) / np.log(right_x / left_x)
    flat = (right_x == left_x) | (left_x <= 0)  # no log scale: the point it is at, or left
    found[inside] = np.where(
        flat,
        np.where(latency == right_x, right_y, left_y),
        left_y + share * (right_y - left_y),
    )
    return found
