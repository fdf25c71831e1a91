"""Accuracy-latency Pareto frontiers: pure functions over sequences (or numpy arrays), no pandas.

A point is on the frontier when no other point is at least as fast and at least as accurate, and
strictly better in one of the two. Charts draw the frontier as a step line (the best accuracy
reachable within a latency budget); methods are compared at matched latency by interpolating a
baseline's frontier between its points, in log latency as the charts' axis is.
"""

from __future__ import annotations

import itertools
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
    points = list(zip(front_latency, front_accuracy, strict=True))
    if not points or not points[0][0] <= latency <= points[-1][0]:
        return None
    for (left, left_accuracy), (right, right_accuracy) in itertools.pairwise(points):
        if left <= latency <= right:
            if right == left or left <= 0:
                return right_accuracy if latency == right else left_accuracy
            share = math.log(latency / left) / math.log(right / left)
            return left_accuracy + share * (right_accuracy - left_accuracy)
    return points[-1][1]
