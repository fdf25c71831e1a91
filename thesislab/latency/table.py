"""Per-layer latency lookup tables (Yang et al., 2018, as the 2019 thesis built them): the
table's records, and the latency they predict for a network.

A network's latency on a device is predicted as the sum of its layers' latencies, read off the
entries of its family's table on that device (bilinear interpolation between the channel counts
measured), plus the calibrated cost of the layers no entry covers. Layers that share a
configuration (kind, kernel, stride, input size, channel ranges) share one table entry, as in the
thesis. How a table is measured is `thesislab.latency.build`'s.

Tables are JSON files ``RESULTS/lut/<device>/<family>-<params hash>.json``. A prediction for a
spec uses any table of its device and family that covers all of its layers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import pydantic
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from thesislab.commands import thesislab_command
from thesislab.errors import ThesislabError
from thesislab.keys import SPACED, content_key
from thesislab.models.names import format_name
from thesislab.models.spec import ArchSpec
from thesislab.models.structure import LayerInfo, Structure, structure_of
from thesislab.records import ArtifactRecord, ModelRecord, Protocol
from thesislab.store import Store

if TYPE_CHECKING:
    pass

TableVariant = Literal["thesislab", "thesis2019"]
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
        for entry in self._by_config.get(layer_config(layer), []):
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


def layer_config(layer: LayerInfo) -> str:
    return _config(layer.kind, layer.kernel, layer.strides, layer.input_hw, layer.groups)


def other_values(structure: Structure, widths: Sequence[int]) -> int:
    """Values output by the layers no table entry covers (and the input normalisation)."""
    counts = structure.counts(widths)
    return INPUT_VALUES + sum(
        layer.output_hw[0] * layer.output_hw[1] * counts[layer.output]
        for layer in structure.present(widths)
        if layer.kind not in TABLE_KINDS
    )


def table_path(results_dir: Path, device: str, spec: ArchSpec) -> Path:
    """Where the table of `spec`'s family and parameters on `device` is stored."""
    name = f"{spec.family}-{content_key(spec.params, 10, SPACED)}.json"
    return Store(results_dir).lut_dir(device) / name


def read_table(path: Path) -> LatencyTable:
    """Load and validate a table file."""
    try:
        return LatencyTable.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, pydantic.ValidationError) as error:
        reason = str(error).splitlines()[0]
        raise ThesislabError(f"{path}: expected a latency table ({reason})") from None


def find_table(results_dir: Path, spec: ArchSpec, device: str) -> LatencyTable | None:
    """A table of `device` covering every layer of `spec` (its own parameters' first), or None.

    Without any table of the family for the device, the network is not even analysed: a family
    pruning does not support simply has no prediction."""
    folder = Store(results_dir).lut_dir(device)
    candidates = sorted(folder.glob(f"{spec.family}-*.json")) if folder.is_dir() else []
    if not candidates:
        return None
    structure = structure_of(spec)
    widths = structure.check(spec)
    own = table_path(results_dir, device, structure.spec)
    for path in sorted(candidates, key=lambda path: path != own):
        table = read_table(path)
        if table.covers(structure, widths):
            return table
    return None


def require_table(results_dir: Path | None, spec: ArchSpec, device: str | None) -> LatencyTable:
    """`find_table`, or a `ThesislabError` that says how to build the missing table."""
    if results_dir is None or device is None:
        raise ThesislabError(
            "a latency budget needs a results directory and a device with a lookup table, "
            f"received results {results_dir} and device {device}"
        )
    table = find_table(results_dir, spec, device)
    if table is None:
        missing = "" if results_dir.is_dir() else " (no such folder)"
        raise ThesislabError(
            f"no latency table for {format_name(spec)} on device {device!r} in {results_dir}"
            f"{missing}: expected one built by `{build_command(results_dir, spec, device)}`"
        )
    return table


def build_command(results: Path, spec: ArchSpec, device: str) -> str:
    """The `thesislab lut build` command that builds a table of `device` covering `spec` in
    `results`: each parameter of the spec that is not its family's default given."""
    from thesislab.models.registry import get_family

    defaults = get_family(spec.family).defaults
    words = ["lut", "build", "--device", device, "--family", spec.family]
    for key, value in sorted(spec.params.items()):
        if key in defaults and defaults[key] == value:
            continue
        text = json.dumps(value) if isinstance(value, bool) else str(value)
        words += ["--param", f"{key}={text}"]
    return thesislab_command(*words, "--results", str(results))


def predict_latency_ms(results_dir: Path, spec: ArchSpec, device: str) -> float | None:
    """The latency (ms) the device's lookup table predicts for `spec`; None without a table.

    For the study runner: record it as `MeasurementRecord.predicted_latency_ms` beside the
    measured latency of the fp32 artifact of a model with this architecture.
    """
    table = find_table(results_dir, spec, device)
    if table is None:
        return None
    structure = structure_of(spec)
    return table.predict(structure, structure.check(spec))


def predict_artifacts(store: Store, artifact_ids: list[str], device: str) -> dict[str, float]:
    """What the device's lookup table predicts for each fp32 artifact, by artifact id, where a
    table exists (recorded by a study beside the artifact's measured latency)."""
    predicted: dict[str, float] = {}
    for identifier in artifact_ids:
        artifact = store.get(identifier, ArtifactRecord)
        if artifact.quantization != "fp32":
            continue
        model = store.get(artifact.model_id, ModelRecord)
        value = predict_latency_ms(store.root, model.architecture, device)
        if value is not None:
            predicted[identifier] = value
    return predicted
