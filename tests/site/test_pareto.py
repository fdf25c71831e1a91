"""The accuracy-latency frontier and its interpolation."""

from __future__ import annotations

import math

import pytest

from thesislab.site.pareto import interpolate_front, pareto_front


def test_front_keeps_the_points_nothing_beats_fastest_first():
    latency = [10.0, 5.0, 20.0, 7.0, 30.0]
    accuracy = [0.90, 0.80, 0.95, 0.79, 0.94]
    assert pareto_front(latency, accuracy) == [1, 0, 2]


def test_equal_latency_keeps_the_most_accurate_and_duplicates_once():
    assert pareto_front([5.0, 5.0, 5.0], [0.7, 0.9, 0.9]) == [1]


def test_missing_values_are_ignored():
    assert pareto_front([math.nan, 2.0, None, 3.0], [0.9, 0.5, 0.99, math.nan]) == [1]


def test_empty_and_mismatched_inputs():
    assert pareto_front([], []) == []
    with pytest.raises(ValueError, match="as many accuracies"):
        pareto_front([1.0], [])


def test_interpolation_is_linear_in_log_latency_and_none_outside():
    front_latency, front_accuracy = [10.0, 100.0], [0.90, 0.95]
    assert interpolate_front(front_latency, front_accuracy, 10.0) == pytest.approx(0.90)
    assert interpolate_front(front_latency, front_accuracy, 100.0) == pytest.approx(0.95)
    assert interpolate_front(front_latency, front_accuracy, math.sqrt(1000)) == pytest.approx(0.925)
    assert interpolate_front(front_latency, front_accuracy, 9.9) is None
    assert interpolate_front(front_latency, front_accuracy, 101.0) is None
    assert interpolate_front([], [], 1.0) is None
    assert interpolate_front([4.0], [0.5], 4.0) == 0.5
