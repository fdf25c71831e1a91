"""The measurement protocol: named presets, the shuffled schedule of calls, and the statistics.

A protocol (`records.Protocol`, saved in every measurement) fixes the thread count, the warm-up
and timed runs of one call with their least durations (`warmup_min_secs`, `min_secs`: a call keeps
running until both the count and the time are reached), the number of passes over the models
(each pass in a new shuffled order) and the pause before each call. One call is one fresh runtime
process measuring one model, as the 2019 thesis did with `benchmark_model`.

The statistics of a model pool its calls: the mean is the mean of the pass means (the thesis's
figure); median, p5 and p95 come from every timed run where the runtime reports them one by one.
The protocol's `statistic` (median, or p5) is the measurement's latency; a protocol with a
reference also keeps the median ratio of each timed run to the reference network's run after it.
Passes that disagree by more than `PASS_TOLERANCE` mean the machine was not quiet: such a model
is measured again, all its passes, up to the protocol's `remeasures` times, and the pass means of
the attempts set aside stay in its statistics. A model that its runtime refuses fails alone, with
the runtime's reason; the others are measured. A lost link (`hosts.LinkLostError`) is no model's
refusal: it ends the schedule, and the models finished before it keep their statistics.
"""

from __future__ import annotations

import math
import random
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from thesislab.bench.hosts import LinkLostError
from thesislab.errors import ThesislabError
from thesislab.presets import resolve_preset
from thesislab.records import LatencyStats, Protocol

PRESETS: dict[str, Protocol] = {
    "thesis2019": Protocol(
        name="thesis2019",
        threads=1,
        warmup_runs=1,
        runs=50,
        passes=3,
        pause_s=10.0,
        min_secs=1.0,
        warmup_min_secs=0.5,
    ),
    "quick": Protocol(
        name="quick", threads=1, warmup_runs=10, runs=100, passes=2, pause_s=0.0, remeasures=2
    ),
    "lut": Protocol(
        name="lut",
        threads=1,
        warmup_runs=10,
        runs=25,
        passes=4,
        pause_s=0.0,
        statistic="p5",
        reference=True,
    ),
}
"""`thesis2019`: the thesis's Raspberry Pi protocol (`benchmark_model --num_runs=50` with the
binary's defaults: one thread, at least 1 timed second, at least one warm-up run and 0.5 warm-up
seconds; three shuffled passes, 10 s pause before each call; nothing measured again).
`quick`: for a development machine; a model whose passes disagree is measured again, twice at
most. `lut`: lookup tables and their checks on a machine whose speed changes from one second to
the next (a shared virtual machine runs at one of two speeds, ×1.5 apart, for seconds at a time):
each run of a model is followed by a run of the table's unpruned network in the same process,
and the model's latency is the median ratio of the two times the network's latency (the 5th
percentile of its own runs, its undisturbed speed); four short passes; nothing measured again
(the passes' means are expected to disagree, their ratios are not)."""

DEFAULT_PRESET = "quick"
PASS_TOLERANCE = 0.02
"""Relative spread of the pass means above which a measurement is flagged."""

T = TypeVar("T")


def resolve_protocol(preset: str, **overrides: Any) -> Protocol:
    """A preset, with any field given (not None) overridden; an overridden preset is named
    `custom` (`presets.resolve_preset`)."""
    return resolve_preset(PRESETS, preset, overrides, "protocol", renamed="custom")


@dataclass(frozen=True)
class CallResult:
    """What one call of a runtime on one model reported, in milliseconds."""

    mean_ms: float
    count: int
    std_ms: float | None = None
    times_ms: tuple[float, ...] = ()
    median_ms: float | None = None
    p5_ms: float | None = None
    p95_ms: float | None = None
    init_ms: float | None = None
    first_ms: float | None = None
    reference_times_ms: tuple[float, ...] = ()
    """With a reference: its run after each timed run, paired with `times_ms`."""


def schedule(items: Sequence[T], passes: int, rng: random.Random) -> list[list[T]]:
    """`passes` orders of `items`, each shuffled anew."""
    orders = []
    for _ in range(passes):
        order = list(items)
        rng.shuffle(order)
        orders.append(order)
    return orders


@dataclass
class Timings(Generic[T]):
    """Every measured item's statistics, and the reason of each item its runtime refused."""

    stats: dict[T, LatencyStats] = field(default_factory=dict)
    failures: dict[T, str] = field(default_factory=dict)


def run_schedule(
    items: Sequence[T],
    protocol: Protocol,
    call: Callable[[T], CallResult],
    *,
    rng: random.Random,
    on_call: Callable[[T], None] | None = None,
    on_measured: Callable[[T, LatencyStats], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Timings[T]:
    """Call every item once per pass, passes in shuffled order, pausing before each call; then
    measure again the items whose passes disagree (see the module docstring).

    `on_call` is told of each finished call, failed or not; `on_measured` of each item's final
    statistics as soon as they are known (its last pass done, its passes in agreement or no
    attempt left), so that a schedule that ends early (a lost link, Ctrl-C) keeps them.
    """
    timings: Timings[T] = Timings()
    set_aside: dict[T, list[list[float]]] = {item: [] for item in items}
    pending = list(items)
    for attempt in range(protocol.remeasures + 1):
        again: set[T] = set()
        for item, calls in _passes(pending, protocol, call, rng, on_call, sleep, timings.failures):
            stats = summarize(calls)
            if attempt < protocol.remeasures and pass_spread(stats) > PASS_TOLERANCE:
                set_aside[item].append(stats.pass_means_ms)
                again.add(item)
                continue
            timings.stats[item] = stats.model_copy(
                update={"set_aside_pass_means_ms": set_aside[item]}
            )
            if on_measured is not None:
                on_measured(item, timings.stats[item])
        pending = [item for item in pending if item in again]
        if not pending:
            break
    return timings


def _passes(
    items: Sequence[T],
    protocol: Protocol,
    call: Callable[[T], CallResult],
    rng: random.Random,
    on_call: Callable[[T], None] | None,
    sleep: Callable[[float], None],
    failures: dict[T, str],
) -> Iterator[tuple[T, list[CallResult]]]:
    """The protocol's passes over `items`: each item with its calls in pass order, as soon as its
    last pass is done, less the items that failed (their reason goes into `failures`, and they
    are not called again). A lost link is no item's failure: it ends the passes."""
    passes = protocol.passes or 1
    results: dict[T, list[CallResult]] = {item: [] for item in items}
    for order in schedule(items, passes, rng):
        for item in order:
            if item in failures:
                continue
            if protocol.pause_s:
                sleep(protocol.pause_s)
            try:
                results[item].append(call(item))
            except LinkLostError:
                raise
            except ThesislabError as error:
                failures[item] = str(error)
            if on_call is not None:
                on_call(item)
            if item not in failures and len(results[item]) == passes:
                yield item, results[item]


def _mean(values: Sequence[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return statistics.fmean(present) if present else None


def _percentile(ordered: Sequence[float], fraction: float) -> float:
    """Linear interpolation between closest ranks (NumPy's default)."""
    position = fraction * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _pooled_std(calls: Sequence[CallResult], mean: float) -> float | None:
    """The standard deviation of all timed runs, from each call's count, mean and std."""
    if any(call.std_ms is None for call in calls):
        return None
    total = sum(call.count for call in calls)
    spread = sum(
        call.count * ((call.std_ms or 0.0) ** 2 + (call.mean_ms - mean) ** 2) for call in calls
    )
    return math.sqrt(spread / total)


def summarize(calls: Sequence[CallResult]) -> LatencyStats:
    """Pool the calls of one model (one per pass) into its latency statistics."""
    if not calls:
        raise ThesislabError("expected at least one call to summarize, received none")
    pass_means = [call.mean_ms for call in calls]
    mean = statistics.fmean(pass_means)
    times = sorted(time_ms for call in calls for time_ms in call.times_ms)
    median: float | None
    p5: float | None
    p95: float | None
    std: float | None
    if times:
        median, p5, p95 = (_percentile(times, fraction) for fraction in (0.5, 0.05, 0.95))
        std = statistics.pstdev(times)
    else:
        median, p5, p95 = (
            _mean([getattr(call, key) for call in calls])
            for key in ("median_ms", "p5_ms", "p95_ms")
        )
        std = _pooled_std(calls, mean)
    return LatencyStats(
        mean_ms=mean,
        median_ms=median,
        p5_ms=p5,
        p95_ms=p95,
        std_ms=std,
        init_ms=_mean([call.init_ms for call in calls]),
        first_ms=_mean([call.first_ms for call in calls]),
        pass_means_ms=pass_means,
        reference_ratio=_reference_ratio(calls),
    )


def _reference_ratio(calls: Sequence[CallResult]) -> float | None:
    """The median ratio of each timed run to the reference's run after it (None: no reference)."""
    ratios = [
        time_ms / reference_ms
        for call in calls
        for time_ms, reference_ms in zip(call.times_ms, call.reference_times_ms, strict=False)
        if reference_ms > 0
    ]
    return statistics.median(ratios) if ratios else None


def pass_spread(stats: LatencyStats) -> float:
    """(largest - smallest pass mean) / smallest: 0 for a single pass."""
    if len(stats.pass_means_ms) < 2:
        return 0.0
    low, high = min(stats.pass_means_ms), max(stats.pass_means_ms)
    return (high - low) / low if low > 0 else 0.0
