"""The measurement protocol: presets, shuffled passes, pauses and statistics."""

from __future__ import annotations

import random
import statistics

import numpy as np
import pytest

from thesislab.bench.hosts import LinkLostError
from thesislab.bench.protocol import (
    PRESETS,
    CallResult,
    pass_spread,
    resolve_protocol,
    run_schedule,
    schedule,
    summarize,
)
from thesislab.errors import ThesislabError
from thesislab.records import LatencyStats


def test_thesis_preset_matches_the_2019_protocol():
    thesis = PRESETS["thesis2019"]
    assert (thesis.runs, thesis.passes, thesis.pause_s, thesis.threads) == (50, 3, 10.0, 1)
    assert (thesis.warmup_runs, thesis.min_secs, thesis.warmup_min_secs) == (1, 1.0, 0.5)
    assert (PRESETS["quick"].min_secs, PRESETS["quick"].warmup_min_secs) == (None, None)
    assert resolve_protocol("thesis2019") is thesis


def test_overrides_rename_the_preset():
    custom = resolve_protocol("thesis2019", runs=20, pause_s=0)
    assert (custom.name, custom.runs, custom.pause_s, custom.passes) == ("custom", 20, 0, 3)
    assert resolve_protocol("quick", runs=PRESETS["quick"].runs).name == "quick"
    timed = resolve_protocol("quick", min_secs=2)
    assert (timed.name, timed.min_secs, timed.warmup_min_secs) == ("custom", 2, None)
    with pytest.raises(
        ThesislabError,
        match=r"unknown protocol preset 'slow': expected one of lut, quick, thesis2019",
    ):
        resolve_protocol("slow")
    # Every field may be overridden, the figure's statistic and the reference included.
    lut = resolve_protocol("lut", statistic="median", reference=False, batch_size=4)
    assert (lut.name, lut.statistic, lut.reference, lut.batch_size) == (
        "custom",
        "median",
        False,
        4,
    )
    with pytest.raises(ThesislabError, match="protocol field 'statistic': Input should be"):
        resolve_protocol("quick", statistic="mean")
    with pytest.raises(ThesislabError, match="protocol field 'rnus': unknown key"):
        resolve_protocol("quick", rnus=3)


def test_each_pass_is_a_new_shuffle():
    items = list(range(12))
    orders = schedule(items, 3, random.Random(5))
    assert all(sorted(order) == items for order in orders)
    assert len({tuple(order) for order in orders}) == 3
    assert schedule(items, 3, random.Random(5)) == orders


def test_run_schedule_pauses_before_every_call():
    protocol = PRESETS["thesis2019"]
    events: list[object] = []
    done: list[str] = []

    def call(item: str) -> CallResult:
        events.append(item)
        return CallResult(mean_ms=1.0, count=1)

    results = run_schedule(
        ["a", "b"],
        protocol,
        call,
        rng=random.Random(0),
        on_call=done.append,
        sleep=events.append,
    )
    assert events[0::2] == [10.0] * 6
    assert sorted(events[1::2]) == ["a"] * 3 + ["b"] * 3
    assert done == events[1::2]
    assert {key: len(value.pass_means_ms) for key, value in results.stats.items()} == {
        "a": 3,
        "b": 3,
    }
    assert results.failures == {}


def test_a_noisy_pass_is_measured_again_until_the_passes_agree():
    # "b"'s first pass is 30 % slow (the machine was busy): all of its passes are measured again.
    noisy = {"b": [13.0, 10.0, 10.1, 10.05]}
    calls: list[str] = []

    def call(item: str) -> CallResult:
        calls.append(item)
        queue = noisy.get(item)
        return CallResult(mean_ms=queue.pop(0) if queue else 5.0, count=1)

    protocol = PRESETS["quick"].model_copy(update={"passes": 2, "remeasures": 3})
    timings = run_schedule(["a", "b"], protocol, call, rng=random.Random(0))
    assert calls.count("a") == 2 and calls.count("b") == 4
    assert timings.stats["a"].set_aside_pass_means_ms == []
    assert timings.stats["b"].set_aside_pass_means_ms == [[13.0, 10.0]]
    assert timings.stats["b"].pass_means_ms == [10.1, 10.05]
    assert timings.stats["b"].mean_ms == pytest.approx(10.075)


def test_remeasuring_stops_at_the_protocols_limit():
    slower = iter(range(10, 100))
    protocol = PRESETS["quick"].model_copy(update={"passes": 2, "remeasures": 1})
    timings = run_schedule(
        ["a"], protocol, lambda _: CallResult(float(next(slower)), 1), rng=random.Random(0)
    )
    assert timings.stats["a"].set_aside_pass_means_ms == [[10.0, 11.0]]
    assert timings.stats["a"].pass_means_ms == [12.0, 13.0]  # still 8 % apart: kept as it is


def test_a_refused_item_fails_alone_and_is_not_called_again():
    calls: list[str] = []

    def call(item: str) -> CallResult:
        calls.append(item)
        if item == "bad":
            raise ThesislabError("Didn't find op for builtin opcode 'SUB' version '2'")
        return CallResult(mean_ms=1.0, count=1)

    protocol = PRESETS["quick"].model_copy(update={"passes": 3})
    done: list[str] = []
    timings = run_schedule(
        ["good", "bad"], protocol, call, rng=random.Random(0), on_call=done.append
    )
    assert calls.count("bad") == 1 and calls.count("good") == 3 and len(done) == 4
    assert timings.failures == {"bad": "Didn't find op for builtin opcode 'SUB' version '2'"}
    assert list(timings.stats) == ["good"]


def test_a_lost_link_ends_the_schedule_and_the_finished_items_are_told_at_once():
    calls: list[str] = []

    def call(item: str) -> CallResult:
        calls.append(item)
        if len(calls) == 5:
            raise LinkLostError("pi3", "no answer within 20 s", f"the measurement of {item}")
        return CallResult(mean_ms=float(len(calls)), count=1)

    protocol = PRESETS["quick"].model_copy(update={"passes": 2, "remeasures": 0})
    measured: dict[str, LatencyStats] = {}
    with pytest.raises(LinkLostError, match=r"^lost the link to pi3 during the measurement of"):
        run_schedule(
            ["a", "b", "c"], protocol, call, rng=random.Random(0), on_measured=measured.__setitem__
        )
    # the fourth call finished its item's two passes; the fifth, lost, is nobody's refusal
    finished = calls[3]
    assert list(measured) == [finished]
    assert measured[finished].pass_means_ms == [float(calls.index(finished) + 1), 4.0]


def test_summary_of_timed_runs():
    rng = np.random.default_rng(0)
    passes = [rng.normal(10 + shift, 0.5, 40) for shift in (0.0, 0.1, 0.2)]
    calls = [
        CallResult(
            mean_ms=float(np.mean(times)),
            count=len(times),
            times_ms=tuple(times),
            init_ms=init,
            first_ms=init * 2,
        )
        for times, init in zip(passes, (3.0, 4.0, 5.0), strict=True)
    ]
    stats = summarize(calls)
    pooled = np.concatenate(passes)
    assert stats.median_ms == pytest.approx(np.median(pooled))
    assert stats.p5_ms == pytest.approx(np.percentile(pooled, 5))
    assert stats.p95_ms == pytest.approx(np.percentile(pooled, 95))
    assert stats.std_ms == pytest.approx(np.std(pooled))
    assert stats.mean_ms == pytest.approx(np.mean(pooled))
    assert (stats.init_ms, stats.first_ms) == (4.0, 8.0)
    assert stats.pass_means_ms == [pytest.approx(np.mean(times)) for times in passes]


def test_reference_ratio_is_the_median_of_paired_runs_whatever_the_machines_speed():
    # The machine runs at one speed in the first call and at 1.5 times slower in the second; the
    # model takes a quarter of the reference's time in both.
    rng = np.random.default_rng(2)
    calls = []
    for speed in (1.0, 1.5):
        reference = speed * rng.uniform(1.9, 2.1, 25)
        calls.append(
            CallResult(
                mean_ms=float(np.mean(reference / 4)),
                count=25,
                times_ms=tuple(reference / 4),
                reference_times_ms=tuple(reference),
            )
        )
    stats = summarize(calls)
    assert stats.reference_ratio == pytest.approx(0.25)
    assert pass_spread(stats) > 0.4  # the latencies themselves disagree
    plain = summarize([CallResult(mean_ms=1.0, count=2, times_ms=(1.0, 1.0))])
    assert plain.reference_ratio is None


def test_summary_of_reported_means_pools_the_deviations():
    rng = np.random.default_rng(1)
    passes = [rng.normal(mean, 1.0, 50) for mean in (20.0, 20.5)]
    calls = [
        CallResult(mean_ms=float(np.mean(times)), count=50, std_ms=float(np.std(times)))
        for times in passes
    ]
    stats = summarize(calls)
    assert stats.std_ms == pytest.approx(np.std(np.concatenate(passes)))
    assert stats.mean_ms == pytest.approx(statistics.fmean(call.mean_ms for call in calls))
    assert stats.median_ms is None and stats.init_ms is None


def test_pass_spread():
    stats = summarize([CallResult(mean_ms=value, count=1) for value in (10.0, 10.1, 10.3)])
    assert pass_spread(stats) == pytest.approx(0.03)
    assert pass_spread(summarize([CallResult(mean_ms=5.0, count=1)])) == 0.0


def test_mean_is_the_mean_of_pass_means_whatever_each_pass_ran():
    # Under a least duration the passes time different numbers of runs: each pass weighs the same.
    short, long = [10.0] * 50, [20.0] * 150
    stats = summarize(
        [CallResult(mean_ms=10.0, count=50, times_ms=tuple(short)),
         CallResult(mean_ms=20.0, count=150, times_ms=tuple(long))]
    )  # fmt: skip
    assert stats.mean_ms == pytest.approx(15.0)
    assert stats.median_ms == pytest.approx(20.0) and stats.p5_ms == pytest.approx(10.0)
    assert stats.std_ms is not None and stats.pass_means_ms == [10.0, 20.0]
