"""Building a per-layer latency lookup table (Yang et al., 2018, as the 2019 thesis built them).

A network's latency on a device is predicted as the sum of its layers' latencies. Every
convolution, depthwise convolution and dense layer of a family is measured alone, as a one-layer
TFLite model (convolution, batch normalisation, ReLU, which the converter fuses into one operation;
the dense layer alone), for the channel counts it can take when the network is pruned: the whole
range 1..default of every prunable axis (``points=None``) or, by default, `DEFAULT_POINTS` evenly
spaced counts per axis, interpolated bilinearly in between. Layers that share a configuration
(kind, kernel, stride, input size, channel ranges) share one table entry, as in the thesis.

Measurements go through the measurement layer: one fresh runtime process per model and pass, on
this machine or over SSH, shuffled passes, and the protocol's statistic of all timed runs. Under a
protocol with a reference (the `lut` preset), every run of a model is followed by a run of the
unpruned network, and the model's latency is the median ratio of the two times the network's own
latency (the 5th percentile of its runs: the device's undisturbed speed); the ratio holds on a
shared machine whose speed jumps by half for seconds at a time, where latencies do not. Three steps
are thesislab's own: the sparse grid and its interpolation; the smoothing of the raw grid with a
2-D Gaussian filter (``sigma`` in channels; ``sigma=0`` keeps it raw); and the calibration of the
operations no entry covers (element-wise sums, pre-activation batch normalisation, pooling, input
normalisation), which are not free on a CPU: the table holds one coefficient, milliseconds per
value those layers output, fitted by least squares in relative error to the latencies of the
unpruned network and `CALIBRATION_NETWORKS` random pruned ones, measured with the layers (the
unpruned network alone fits a coefficient that leaves every pruned network's error at the others'
expense: on this machine, MobileNetV2's random networks came out 9 % too slow on average with it,
and 4 % off with the fit).

``variant="thesis2019"`` builds the table as N/utils/compute_table/ did: every (input, output)
pair from 1 to the maximum of each prunable axis; each entry a conv+BN+ReLU model, the dense
entry an average pooling of the classifier's input map then the dense layer; `THESIS_PROTOCOL`
(``benchmark_model --num_runs=11 --min_secs=0 --warmup_min_secs=0``, one call per model) and the
mean of the timed runs; no smoothing and no calibration: the prediction is the sum of the entries.
An axis of a fixed channel count (the stem's 3 input channels) is measured at that count only,
where the thesis also measured the counts below it, which it never read.

"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from thesislab.bench.measure import time_files
from thesislab.deploy.convert import Variant, convert
from thesislab.deploy.sources import keras_on_tensorflow, untrained_network
from thesislab.errors import ThesislabError
from thesislab.filesystem import atomic_write_bytes
from thesislab.latency.table import (
    TABLE_KINDS,
    UNPRUNED,
    CalibrationNetwork,
    Entry,
    LatencyTable,
    TableVariant,
    layer_config,
    other_values,
    table_path,
)
from thesislab.models.spec import ArchSpec
from thesislab.models.structure import LayerInfo, Structure, structure_of
from thesislab.records import Protocol

if TYPE_CHECKING:
    import keras

    from thesislab.bench.devices import DeviceSpec

DEFAULT_POINTS = 6
"""Channel counts measured per prunable axis (None: every count, as the thesis did)."""
DEFAULT_SIGMA = 1.0
"""Gaussian smoothing of the measured grid, in channels."""
TABLE_PRESET = "lut"
"""The protocol preset a thesislab table is measured with (see `bench.protocol.PRESETS`)."""
CALIBRATION_NETWORKS = 8
"""Random pruned networks measured with a thesislab table's layers, to calibrate it."""
CALIBRATION_SEED = 1
"""Seed of the calibration networks' widths: not `lut check`'s default (0), so that a check
measures networks the calibration never saw."""
THESIS_PROTOCOL = Protocol(
    threads=1, warmup_runs=1, runs=11, passes=1, pause_s=0.0, min_secs=0.0, warmup_min_secs=0.0
)
"""How the thesis timed each table model: one `benchmark_model` call of 11 runs, no least
durations (N/utils/compute_table/measure_fcts.py); its mean is the entry."""


def axis_points(largest: int, points: int | None) -> list[int]:
    """Channel counts measured on an axis of 1..largest: all of them, or `points` evenly spaced."""
    if points is None or points >= largest:
        return list(range(1, largest + 1))
    return sorted({round(value) for value in np.linspace(1, largest, max(points, 2))})


def _spacing(axis: list[int]) -> float:
    return float(np.mean(np.diff(axis))) if len(axis) > 1 else 0.0


def gaussian_smooth(grid: np.ndarray, steps: Sequence[float], sigma: float) -> np.ndarray:
    """Separable Gaussian filter of a 2-D grid (edges repeated); `steps` are the mean channel
    spacings of the two axes, so `sigma` is in channels."""
    smoothed = np.asarray(grid, dtype=float)
    for axis, step in enumerate(steps):
        width = sigma / step if step > 0 else 0.0
        size = smoothed.shape[axis]
        if width < 0.1 or size < 2:
            continue
        radius = max(1, math.ceil(3 * width))
        offsets = np.arange(-radius, radius + 1)
        weights = np.exp(-0.5 * (offsets / width) ** 2)
        weights /= weights.sum()
        index = np.clip(np.arange(size)[:, None] + offsets[None, :], 0, size - 1)
        moved = np.moveaxis(smoothed, axis, 0)
        smoothed = np.moveaxis(np.tensordot(weights, moved[index.T], axes=(0, 0)), 0, axis)
    return smoothed


@dataclass(frozen=True)
class _Plan:
    """One entry to measure: its configuration and channel grids."""

    layer: LayerInfo
    inputs: list[int]
    outputs: list[int]
    pool_hw: tuple[int, int] | None = None


def _axis(structure: Structure, channel_class: int, points: int | None) -> list[int]:
    if channel_class in structure.group_of_class:
        largest = structure.groups[structure.group_of_class[channel_class]].default
        return axis_points(largest, points)
    return [structure.fixed[channel_class]]


def pooled_hw(structure: Structure, dense: LayerInfo) -> tuple[int, int]:
    """The size of the map a dense layer's input was pooled from: the input size of the nearest
    layer before it, in its channel class, that shrinks the map."""
    before = structure.layers[: structure.layers.index(dense)]
    for layer in reversed(before):
        if layer.output == dense.inputs[0] and layer.input_hw != layer.output_hw:
            return layer.input_hw
    return dense.input_hw


def plan_entries(
    structure: Structure, points: int | None, variant: TableVariant = "thesislab"
) -> list[_Plan]:
    """The entries a table of this network needs, one per configuration and channel grids."""
    plans: dict[tuple[str, tuple[int, ...], tuple[int, ...]], _Plan] = {}
    for layer in structure.present(structure.default_widths):
        if layer.kind not in TABLE_KINDS:
            continue
        outputs = _axis(structure, layer.output, points)
        inputs = [0] if layer.kind == "depthwise" else _axis(structure, layer.inputs[0], points)
        pool = (
            pooled_hw(structure, layer)
            if (variant, layer.kind) == ("thesis2019", "dense")
            else None
        )
        key = (layer_config(layer), tuple(inputs), tuple(outputs))
        plans.setdefault(key, _Plan(layer, inputs, outputs, pool))
    return list(plans.values())


def layer_model(
    layer: LayerInfo, inputs: int, outputs: int, pool_hw: tuple[int, int] | None = None
) -> keras.Model:
    """The one-layer network measured for an entry at these channel counts (a dense layer with
    `pool_hw`: average pooling of a map of that size, then the dense layer)."""
    import keras

    if layer.kind == "dense" and pool_hw is not None:
        image = keras.Input((*pool_hw, inputs))
        pooled = keras.layers.Flatten()(keras.layers.AveragePooling2D(pool_hw)(image))
        return keras.Model(image, keras.layers.Dense(outputs)(pooled))
    if layer.kind == "dense":
        vector = keras.Input((inputs,))
        return keras.Model(vector, keras.layers.Dense(outputs)(vector))
    image = keras.Input((*layer.input_hw, outputs if layer.kind == "depthwise" else inputs))
    if layer.kind == "depthwise":
        x = keras.layers.DepthwiseConv2D(
            layer.kernel, strides=layer.strides, padding="same", use_bias=False
        )(image)
    else:
        x = keras.layers.Conv2D(
            outputs,
            layer.kernel,
            strides=layer.strides,
            padding="same",
            groups=layer.groups,
            use_bias=False,
        )(image)
    x = keras.layers.BatchNormalization()(x)
    return keras.Model(image, keras.layers.ReLU()(x))


@dataclass(frozen=True)
class _Measured:
    """What one measuring session returned: the protocol's statistic and the mean (ms) per file,
    and the device facts."""

    figures: dict[str, float]
    means: dict[str, float]
    description: str | None
    runtime: str


def measure_files(
    files: dict[str, Path],
    device: DeviceSpec,
    protocol: Protocol,
    on_call: Callable[[str], None] | None,
    reference: str,
) -> _Measured:
    """Time every file on the device in shuffled passes; the protocol's statistic (with a
    reference: the ratio to the file `reference`, times that file's statistic) and the mean of
    each file's timed runs. A table needs every entry: a file the runtime refuses fails the
    table."""
    timed = time_files(
        files, device, protocol, seed=0, on_call=on_call, reference=files.get(reference)
    )
    if timed.timings.failures:
        key, reason = next(iter(timed.timings.failures.items()))
        raise ThesislabError(
            f"lookup table on {device.name}: {len(timed.timings.failures)} of {len(files)} "
            f"models failed, the first ({key}) with: {reason}"
        )
    stats = timed.timings.stats
    speed = stats[reference].figure_ms(protocol.statistic) if protocol.reference else None
    return _Measured(
        {key: value.figure_ms(protocol.statistic, speed) for key, value in stats.items()},
        {key: value.mean_ms for key, value in stats.items()},
        timed.facts.describe() or None,
        timed.facts.runtime,
    )


def build_table(
    spec: ArchSpec,
    device: DeviceSpec,
    protocol: Protocol,
    results_dir: Path,
    *,
    points: int | None = DEFAULT_POINTS,
    sigma: float = DEFAULT_SIGMA,
    variant: TableVariant = "thesislab",
    calibration_networks: int = CALIBRATION_NETWORKS,
    on_step: Callable[[str], None] | None = None,
) -> tuple[Path, LatencyTable]:
    """Measure, smooth, calibrate and store the table of `spec`'s family and parameters
    (thesis2019: every count, `points`, `sigma` and `calibration_networks` unused, neither
    smoothed nor calibrated)."""
    keras_on_tensorflow()
    thesis = variant == "thesis2019"
    if thesis:
        points, sigma, calibration_networks = None, 0.0, 0
    structure = structure_of(spec)
    plans = plan_entries(structure, points, variant)
    rng = np.random.default_rng(CALIBRATION_SEED)
    networks = {UNPRUNED: structure.default_widths} | {
        f"calibration{index}": structure.random_widths(rng) for index in range(calibration_networks)
    }
    with tempfile.TemporaryDirectory(prefix="thesislab-lut-") as folder:
        files = _convert_models(Path(folder), structure, plans, networks, on_step)
        measured = measure_files(
            files, device, protocol, on_step and (lambda _: on_step("measure")), UNPRUNED
        )
    latencies = measured.means if thesis else measured.figures
    entries = [_entry(number, plan, latencies, sigma) for number, plan in enumerate(plans)]
    uncalibrated = LatencyTable(
        device=device.name,
        device_description=measured.description,
        runtime=measured.runtime,
        protocol=protocol,
        spec=structure.spec,
        points=points,
        sigma=sigma,
        variant=variant,
        entries=entries,
        other_ms_per_value=0.0,
        network_ms=latencies[UNPRUNED],
        calibration=[
            CalibrationNetwork(widths=widths, measured_ms=latencies[key])
            for key, widths in networks.items()
            if key != UNPRUNED
        ],
        created_at=datetime.now(UTC),
    )
    table = uncalibrated if thesis else _calibrated(uncalibrated, structure)
    path = table_path(results_dir, device.name, structure.spec)
    atomic_write_bytes(path, (table.model_dump_json(indent=2) + "\n").encode())
    return path, table


def _convert_models(
    folder: Path,
    structure: Structure,
    plans: list[_Plan],
    networks: dict[str, list[int]],
    on_step: Callable[[str], None] | None,
) -> dict[str, Path]:
    """Every one-layer model of the table's entries (keyed ``entry-inputs-outputs``) and every
    whole network (keyed by name) converted to fp32 TFLite files in `folder`."""
    fp32 = Variant("fp32")
    files: dict[str, Path] = {}
    for number, plan in enumerate(plans):
        for cin in plan.inputs:
            for cout in plan.outputs:
                key = f"{number}-{cin}-{cout}"
                files[key] = folder / f"{key}.tflite"
                model = layer_model(plan.layer, cin, cout, plan.pool_hw)
                files[key].write_bytes(convert(model, fp32))
                if on_step is not None:
                    on_step("convert")
    for key, widths in networks.items():
        network = structure.spec.model_copy(update={"widths": widths})
        files[key] = folder / f"{key}.tflite"
        files[key].write_bytes(convert(untrained_network(network), fp32))
    return files


def _entry(number: int, plan: _Plan, latencies: dict[str, float], sigma: float) -> Entry:
    """The entry of plan `number`: its grid of latencies as measured and smoothed."""
    raw = np.array([[latencies[f"{number}-{i}-{o}"] for o in plan.outputs] for i in plan.inputs])
    steps = [_spacing(plan.inputs), _spacing(plan.outputs)]
    return Entry(
        kind=plan.layer.kind,
        kernel=plan.layer.kernel,
        strides=plan.layer.strides,
        input_hw=plan.layer.input_hw,
        groups=plan.layer.groups,
        pool_hw=plan.pool_hw,
        inputs=plan.inputs,
        outputs=plan.outputs,
        raw_ms=raw.tolist(),
        smoothed_ms=gaussian_smooth(raw, steps, sigma).tolist(),
    )


def _calibrated(table: LatencyTable, structure: Structure) -> LatencyTable:
    """The table with the coefficient of the other layers that minimises the squared relative
    errors of its measured networks (the unpruned one alone: predicted at its latency)."""
    measured = [(structure.default_widths, table.network_ms)] + [
        (network.widths, network.measured_ms) for network in table.calibration
    ]
    layers = table.model_copy(update={"other_ms_per_value": 0.0})
    values = np.array([other_values(structure, widths) / ms for widths, ms in measured])
    rest = np.array([1 - layers.predict(structure, widths) / ms for widths, ms in measured])
    coefficient = float(values @ rest / (values @ values))
    return table.model_copy(update={"other_ms_per_value": coefficient})


def count_models(spec: ArchSpec, points: int | None, calibration_networks: int) -> int:
    """How many models a table of `spec` measures: one-layer models, the unpruned network and
    the calibration networks (a thesis2019 table: those of ``points=None``, and none)."""
    plans = plan_entries(structure_of(spec), points)
    return sum(len(plan.inputs) * len(plan.outputs) for plan in plans) + 1 + calibration_networks
