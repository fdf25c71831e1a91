"""Per-layer latency lookup tables (Yang et al., 2018, as the 2019 thesis built them).

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

Tables are JSON files ``RESULTS/lut/<device>/<family>-<params hash>.json``. A prediction for a
spec uses any table of its device and family that covers all of its layers.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import pydantic
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from thesislab.errors import ThesislabError
from thesislab.keys import SPACED, content_key
from thesislab.models.names import format_name
from thesislab.models.spec import ArchSpec
from thesislab.prune.structure import LayerInfo, Structure, structure_of
from thesislab.records import Protocol
from thesislab.store import Store, atomic_write_bytes

if TYPE_CHECKING:
    import keras

    from thesislab.bench.devices import DeviceSpec

TableVariant = Literal["thesislab", "thesis2019"]
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
TABLE_KINDS = ("conv", "depthwise", "dense")
UNPRUNED = "network"
"""The key of the unpruned network among a table's measured files (the reference of protocols
with one)."""
INPUT_VALUES = 32 * 32 * 3
"""Values the network's input normalisation outputs (counted among the other layers)."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Entry(_Frozen):
    """Latencies of one layer configuration over a grid of input and output channel counts."""

    kind: Literal["conv", "depthwise", "dense"]
    kernel: tuple[int, int] = (1, 1)
    strides: tuple[int, int] = (1, 1)
    input_hw: tuple[int, int] = (1, 1)
    groups: int = 1
    pool_hw: tuple[int, int] | None = Field(
        default=None,
        description="Dense entries of thesis2019 tables: the model average-pools a map of this "
        "size first.",
    )
    inputs: list[int] = Field(description="Input channel counts measured (one: a fixed axis).")
    outputs: list[int] = Field(description="Output channel counts measured.")
    raw_ms: list[list[float]] = Field(
        description="Latency (the protocol's statistic; thesis2019: mean of the runs), "
        "[input][output]."
    )
    smoothed_ms: list[list[float]] = Field(description="raw_ms after Gaussian smoothing.")

    @property
    def config(self) -> str:
        """What a layer must match to use this entry (besides its channel counts)."""
        return _config(self.kind, self.kernel, self.strides, self.input_hw, self.groups)

    def covers(self, inputs: int, outputs: int) -> bool:
        """Whether the grid spans these channel counts."""
        return _on_axis(self.inputs, inputs) and _on_axis(self.outputs, outputs)

    def at(self, inputs: int, outputs: int) -> float:
        """Bilinear interpolation of the smoothed grid."""
        rows = [np.interp(outputs, self.outputs, row) for row in self.smoothed_ms]
        return float(np.interp(inputs, self.inputs, rows))


class CalibrationNetwork(_Frozen):
    """A random pruned network measured with a table's layers."""

    widths: list[int]
    measured_ms: float


class LatencyTable(_Frozen):
    """The lookup table of one family (and parameters) on one device."""

    device: str
    device_description: str | None = None
    runtime: str
    protocol: Protocol
    spec: ArchSpec = Field(description="The unpruned network the table was built for.")
    points: int | None = Field(description="Counts per channel axis; null = every count.")
    sigma: float = Field(description="Gaussian smoothing, in channels.")
    variant: TableVariant = Field(default="thesislab", description="How the table was built.")
    entries: list[Entry]
    other_ms_per_value: float = Field(
        description="Latency of the layers no entry covers, per value they output (calibrated)."
    )
    network_ms: float = Field(description="Measured latency of the unpruned network.")
    calibration: list[CalibrationNetwork] = Field(
        default_factory=list,
        description="Random pruned networks measured with the layers; with the unpruned network "
        "they set `other_ms_per_value`.",
    )
    created_at: datetime
    _by_config: dict[str, list[Entry]] = PrivateAttr()

    def model_post_init(self, context: object) -> None:
        self._by_config = {}
        for entry in self.entries:
            self._by_config.setdefault(entry.config, []).append(entry)

    def layer_ms(self, layer: LayerInfo, inputs: int, outputs: int) -> float | None:
        """The latency of one layer at these channel counts, or None if no entry covers it."""
        key = 0 if layer.kind == "depthwise" else inputs
        for entry in self._by_config.get(_layer_config(layer), []):
            if entry.covers(key, outputs):
                return entry.at(key, outputs)
        return None

    def covers(self, structure: Structure, widths: Sequence[int]) -> bool:
        """Whether every table layer of the network with `widths` has an entry."""
        return self._layer_sum(structure, widths) is not None

    def predict(self, structure: Structure, widths: Sequence[int]) -> float:
        """Predicted latency (ms) of the network of `structure` with `widths`."""
        total = self._layer_sum(structure, widths)
        if total is None:
            raise ThesislabError(
                f"latency table for {format_name(self.spec)} on {self.device}: expected entries "
                f"for every layer of {format_name(structure.spec)} at widths {list(widths)}, "
                "found none for some; build a table for this network"
            )
        return total + self.other_ms_per_value * other_values(structure, widths)

    def _layer_sum(self, structure: Structure, widths: Sequence[int]) -> float | None:
        counts = structure.counts(widths)
        total = 0.0
        for layer in structure.present(widths):
            if layer.kind in TABLE_KINDS:
                latency = self.layer_ms(layer, counts[layer.inputs[0]], counts[layer.output])
                if latency is None:
                    return None
                total += latency
        return total


def _on_axis(axis: list[int], value: int) -> bool:
    return value == axis[0] if len(axis) == 1 else axis[0] <= value <= axis[-1]


def _config(
    kind: str, kernel: Sequence[int], strides: Sequence[int], hw: Sequence[int], groups: int
) -> str:
    return f"{kind} {kernel[0]}x{kernel[1]}/{strides[0]}x{strides[1]} @{hw[0]}x{hw[1]} g{groups}"


def _layer_config(layer: LayerInfo) -> str:
    return _config(layer.kind, layer.kernel, layer.strides, layer.input_hw, layer.groups)


def other_values(structure: Structure, widths: Sequence[int]) -> int:
    """Values output by the layers no table entry covers (and the input normalisation)."""
    counts = structure.counts(widths)
    return INPUT_VALUES + sum(
        layer.output_hw[0] * layer.output_hw[1] * counts[layer.output]
        for layer in structure.present(widths)
        if layer.kind not in TABLE_KINDS
    )


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
        key = (_layer_config(layer), tuple(inputs), tuple(outputs))
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


def table_path(results: Path, device: str, spec: ArchSpec) -> Path:
    """Where the table of `spec`'s family and parameters on `device` is stored."""
    name = f"{spec.family}-{content_key(spec.params, 10, SPACED)}.json"
    return Store(results).lut_dir(device) / name


def read_table(path: Path) -> LatencyTable:
    """Load and validate a table file."""
    try:
        return LatencyTable.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, pydantic.ValidationError) as error:
        reason = str(error).splitlines()[0]
        raise ThesislabError(f"{path}: expected a latency table ({reason})") from None


def find_table(results: Path, spec: ArchSpec, device: str) -> LatencyTable | None:
    """A table of `device` covering every layer of `spec` (its own parameters' first), or None.

    Without any table of the family for the device, the network is not even analysed: a family
    pruning does not support simply has no prediction."""
    folder = Store(results).lut_dir(device)
    candidates = sorted(folder.glob(f"{spec.family}-*.json")) if folder.is_dir() else []
    if not candidates:
        return None
    structure = structure_of(spec)
    widths = structure.check(spec)
    own = table_path(results, device, structure.spec)
    for path in sorted(candidates, key=lambda path: path != own):
        table = read_table(path)
        if table.covers(structure, widths):
            return table
    return None


def require_table(results: Path | None, spec: ArchSpec, device: str | None) -> LatencyTable:
    """`find_table`, or a `ThesislabError` that says how to build the missing table."""
    if results is None or device is None:
        raise ThesislabError(
            "a latency budget needs a results directory and a device with a lookup table, "
            f"received results {results} and device {device}"
        )
    table = find_table(results, spec, device)
    if table is None:
        raise ThesislabError(
            f"no latency table for {format_name(spec)} on device {device!r} in {results}: "
            f"expected one built by `thesislab lut build --device {device} --family {spec.family}`"
        )
    return table


def predict_latency_ms(results: Path, spec: ArchSpec, device: str) -> float | None:
    """The latency (ms) the device's lookup table predicts for `spec`; None without a table.

    For the study runner: record it as `MeasurementRecord.predicted_latency_ms` beside the
    measured latency of the fp32 artifact of a model with this architecture.
    """
    table = find_table(results, spec, device)
    if table is None:
        return None
    structure = structure_of(spec)
    return table.predict(structure, structure.check(spec))


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
    from thesislab.bench.measure import time_files

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
    results: Path,
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
    from thesislab.deploy.convert import Variant, convert
    from thesislab.deploy.sources import keras_on_tensorflow
    from thesislab.train.network import build_network
    from thesislab.train.recipe import Recipe

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
    fp32 = Variant("fp32")
    with tempfile.TemporaryDirectory(prefix="thesislab-lut-") as folder:
        files: dict[str, Path] = {}
        for number, plan in enumerate(plans):
            for cin in plan.inputs:
                for cout in plan.outputs:
                    key = f"{number}-{cin}-{cout}"
                    files[key] = Path(folder) / f"{key}.tflite"
                    model = layer_model(plan.layer, cin, cout, plan.pool_hw)
                    files[key].write_bytes(convert(model, fp32))
                    if on_step is not None:
                        on_step("convert")
        for key, widths in networks.items():
            network = structure.spec.model_copy(update={"widths": widths})
            files[key] = Path(folder) / f"{key}.tflite"
            files[key].write_bytes(
                convert(build_network(network, Recipe(), mixed_precision=False), fp32)
            )
        measured = measure_files(
            files, device, protocol, on_step and (lambda _: on_step("measure")), UNPRUNED
        )
    latencies = measured.means if thesis else measured.figures
    entries = []
    for number, plan in enumerate(plans):
        raw = np.array(
            [[latencies[f"{number}-{i}-{o}"] for o in plan.outputs] for i in plan.inputs]
        )
        steps = [_spacing(plan.inputs), _spacing(plan.outputs)]
        entries.append(
            Entry(
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
        )
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
    path = table_path(results, device.name, structure.spec)
    atomic_write_bytes(path, (table.model_dump_json(indent=2) + "\n").encode())
    return path, table


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
