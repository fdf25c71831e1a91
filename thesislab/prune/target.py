"""Pruning budgets: what to shrink (channels, parameters, MACs or latency on a device) and how far.

A target keeps a fraction of the starting network's channels, parameters or MACs
(``channels=0.5``, ``params=0.5``, ``macs=0.5``) or of its latency on a named device
(``latency=0.6@pi3``: the thesis's NetAdapt runs, pruning a fraction pf = 0.4 of it), or asks for a
latency in milliseconds on a device (``latency_ms=40@local``); latencies are predicted by the
device's lookup table (see `lut`). In a study and in `prune_model` a target is a mapping:
``{"macs": 0.5}``, ``{"latency": 0.6, "device": "pi3"}`` or
``{"latency_ms": 40, "device": "local"}``.

A `Budget` turns a target into a cost function of the widths and the limit the cost must not
exceed; every method stops at the first widths whose cost is within the limit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from thesislab.errors import ThesislabError
from thesislab.latency.table import require_table
from thesislab.models.structure import Structure

Metric = Literal["channels", "params", "macs", "latency", "latency_ms"]
METRICS: tuple[Metric, ...] = get_args(Metric)
LATENCY_METRICS: tuple[Metric, ...] = ("latency", "latency_ms")
"""The metrics measured on a device, through its lookup table."""
Cost = Callable[[Sequence[int]], float]


@dataclass(frozen=True)
class Target:
    """A fraction of channels, parameters, MACs or latency on a device to keep, or a latency (ms)
    on a device."""

    metric: Metric
    value: float
    device: str | None = None

    def __post_init__(self) -> None:
        if self.metric in LATENCY_METRICS and self.device is None:
            raise ThesislabError(
                f"{self.metric} target: expected the device it is measured on, as "
                f"{self.metric}={self.value:g}@local, received no device"
            )
        if self.metric == "latency_ms":
            if self.value <= 0:
                raise ThesislabError(
                    "latency_ms target: expected a positive number of milliseconds, "
                    f"received {self.value}"
                )
        elif not 0 < self.value < 1:
            raise ThesislabError(
                f"{self.metric} target: expected the fraction to keep, between 0 and 1 "
                f"(exclusive), received {self.value}"
            )

    @classmethod
    def parse(cls, text: str) -> Target:
        """``channels=0.5``, ``params=0.5``, ``macs=0.5``, ``latency=0.6@DEVICE`` or
        ``latency_ms=40@DEVICE``."""
        metric, _, rest = text.partition("=")
        value, _, device = rest.partition("@")
        metric = metric.strip()
        if metric not in METRICS:
            raise ThesislabError(
                f"target: expected one of {', '.join(f'{m}=...' for m in METRICS)}, "
                f"received {text!r}"
            )
        try:
            number = float(value)
        except ValueError:
            raise ThesislabError(
                f"target: expected a number after '{metric}=', received {value!r}"
            ) from None
        return cls(metric, number, device.strip() or None)

    @classmethod
    def from_mapping(cls, mapping: dict[str, Any]) -> Target:
        """From a study's target: ``{"macs": 0.5}``, ``{"latency": 0.6, "device": "pi3"}`` or
        ``{"latency_ms": 40, "device": "pi3"}``."""
        given = [key for key in METRICS if mapping.get(key) is not None]
        unknown = sorted(set(mapping) - {*METRICS, "device"})
        if len(given) != 1 or unknown:
            raise ThesislabError(
                f"target: expected exactly one of {', '.join(METRICS)} (and a device for "
                f"latency and latency_ms), received {mapping}"
            )
        return cls(given[0], float(mapping[given[0]]), mapping.get("device"))

    def as_mapping(self) -> dict[str, Any]:
        """The study form of this target."""
        mapping: dict[str, Any] = {self.metric: self.value}
        if self.device is not None:
            mapping["device"] = self.device
        return mapping

    def __str__(self) -> str:
        return f"{self.metric}={self.value:g}" + (f"@{self.device}" if self.device else "")


def cost_function(
    metric: Metric, structure: Structure, results_dir: Path | None, device: str | None
) -> Cost:
    """The cost of widths in `metric`: channels, parameters, MACs, or predicted latency (ms, for
    both latency metrics)."""
    if metric == "channels":
        return lambda widths: float(sum(widths))
    if metric == "params":
        return lambda widths: float(structure.params(widths))
    if metric == "macs":
        return lambda widths: float(structure.macs(widths))
    table = require_table(results_dir, structure.spec, device)
    return lambda widths: table.predict(structure, widths)


@dataclass(frozen=True)
class Budget:
    """A target made concrete for one starting network: a cost function and its limit."""

    target: Target
    cost: Cost
    limit: float
    start: float
    """The cost of the starting network."""

    def within(self, widths: Sequence[int]) -> bool:
        """Whether `widths` meet the budget."""
        return self.cost(widths) <= self.limit

    def describe(self, widths: Sequence[int]) -> str:
        """The cost of `widths` and the limit, for messages."""
        return f"{self.target.metric} {self.cost(widths):,.4g} (limit {self.limit:,.4g})"


def make_budget(
    target: Target, structure: Structure, start: Sequence[int], results_dir: Path | None
) -> Budget:
    """The budget of `target` for a network of `structure` that starts at widths `start`."""
    cost = cost_function(target.metric, structure, results_dir, target.device)
    initial = cost(start)
    limit = target.value if target.metric == "latency_ms" else target.value * initial
    if initial <= limit:
        raise ThesislabError(
            f"target {target}: expected a budget below the starting network's "
            f"{initial:,.4g}, received {limit:,.4g}"
        )
    return Budget(target, cost, limit, initial)
