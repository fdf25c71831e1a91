"""The results directory: one JSON file per record, written atomically, loaded with validation.

Layout::

    RESULTS/model/<id>.json
    RESULTS/artifact/<id>.json
    RESULTS/measurement/<id>.json
    RESULTS/files/...            weights and TFLite files the records point to

Ids are derived from content, so writing the same record twice is a no-op and parallel writers of
different records never collide. A write goes to a hidden temporary file in the same directory,
is flushed and fsynced, then renamed over its final name: a killed writer leaves no partial record.
`table()` joins the three kinds into one row per (model configuration, artifact, device).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import pydantic

if TYPE_CHECKING:
    import pandas as pd

from thesislab.errors import ThesislabError, validation_message
from thesislab.records import (
    RECORD_ADAPTER,
    ArtifactRecord,
    MeasurementRecord,
    ModelRecord,
    Record,
    RecordKind,
    canonical_json,
    record_id,
)

KINDS: tuple[RecordKind, ...] = ("model", "artifact", "measurement")
FILES_DIR = "files"

R = TypeVar("R", ModelRecord, ArtifactRecord, MeasurementRecord)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that readers see either nothing or the whole file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        Path(temporary).replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            Path(temporary).unlink()
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def read_record(path: Path) -> Record:
    """Load and validate one record file; errors name the file and the field."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ThesislabError(f"{path}: not valid JSON (line {error.lineno}: {error.msg})") from None
    try:
        return RECORD_ADAPTER.validate_python(raw)
    except pydantic.ValidationError as error:
        raise ThesislabError(f"{path}: invalid {validation_message(error)}") from None


@dataclass
class Store:
    """A results directory of record files."""

    root: Path
    _cache: dict[str, Record] = field(default_factory=dict, repr=False)

    def path_of(self, kind: RecordKind, identifier: str) -> Path:
        """Where the record `identifier` of `kind` lives."""
        return self.root / kind / f"{identifier}.json"

    def files_dir(self) -> Path:
        """The directory for weights and TFLite files that records point to."""
        return self.root / FILES_DIR

    def write(self, record: Record) -> str:
        """Write `record` (a no-op if it already exists) and return its id."""
        identifier = record_id(record)
        path = self.path_of(record.kind, identifier)
        if not path.exists():
            text = json.dumps(json.loads(canonical_json(record)), indent=2, sort_keys=True)
            atomic_write_bytes(path, (text + "\n").encode())
        self._cache[identifier] = record
        return identifier

    def _record_paths(self, kinds: Iterable[RecordKind]) -> Iterator[tuple[str, Path]]:
        for kind in kinds:
            directory = self.root / kind
            if directory.is_dir():
                for path in sorted(directory.glob("[!.]*.json")):
                    yield path.stem, path

    def load(self, kinds: Iterable[RecordKind] = KINDS) -> dict[str, Record]:
        """Every record of the given kinds, by id, each validated."""
        loaded: dict[str, Record] = {}
        for identifier, path in self._record_paths(kinds):
            if identifier not in self._cache:
                self._cache[identifier] = read_record(path)
            loaded[identifier] = self._cache[identifier]
        return loaded

    def of_kind(self, record_type: type[R]) -> dict[str, R]:
        """Every record of one type, by id."""
        kind = record_type.model_fields["kind"].default
        return {
            key: value for key, value in self.load([kind]).items() if isinstance(value, record_type)
        }

    def get(self, identifier: str) -> Record:
        """The record with this id (a unique prefix of at least 6 characters also works)."""
        if identifier in self._cache:
            return self._cache[identifier]
        matches = [
            (key, path)
            for key, path in self._record_paths(KINDS)
            if key == identifier or (len(identifier) >= 6 and key.startswith(identifier))
        ]
        if len(matches) != 1:
            found = "no record" if not matches else f"{len(matches)} records"
            raise ThesislabError(
                f"expected one record with id {identifier!r} in {self.root}, found {found}"
            )
        key, path = matches[0]
        self._cache[key] = read_record(path)
        return self._cache[key]

    def exists(self, record: Record) -> bool:
        """Whether this exact record is already stored."""
        return self.path_of(record.kind, record_id(record)).exists()


TABLE_COLUMNS: tuple[str, ...] = (
    "name",
    "family",
    "stage",
    "pruning_method",
    "distilled",
    "quantization",
    "device",
    "accuracy",
    "accuracy_std",
    "n_seeds",
    "latency_ms",
    "latency_predicted_ms",
    "params",
    "macs",
    "source",
    "architecture",
    "config_id",
    "model_ids",
    "artifact_ids",
)
"""Columns of `table()`, in order. `config_id` identifies a row's model configuration."""

# Fields that vary between seeds (or runs) of one configuration.
_PER_RUN_FIELDS = {
    "seed",
    "accuracy",
    "validation_accuracy",
    "epochs",
    "training_time_s",
    "images_per_s",
    "history",
    "weights_path",
    "environment",
    "created_at",
}


def configuration_id(model: ModelRecord) -> str:
    """The id shared by all seeds of one model configuration."""
    shared = model.model_dump(mode="json", exclude=_PER_RUN_FIELDS)
    return record_id(ModelRecord.model_validate(shared))


def _mean_and_std(values: list[float]) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    mean = sum(values) / len(values)
    if len(values) == 1:
        return mean, None
    variance = sum((value - mean) ** 2 for value in values) / (len(values) - 1)
    return mean, variance**0.5


def _mean(values: list[float]) -> float | None:
    return _mean_and_std(values)[0]


def _rows_of_configuration(
    config_id: str,
    models: dict[str, ModelRecord],
    artifacts: dict[str, ArtifactRecord],
    measurements_of: dict[str, list[MeasurementRecord]],
) -> Iterator[dict[str, object]]:
    first = next(iter(models.values()))
    base: dict[str, object] = {
        "name": first.name,
        "family": first.architecture.family,
        "stage": first.lineage.stage,
        "pruning_method": first.lineage.pruning.method if first.lineage.pruning else None,
        "distilled": first.lineage.distilled,
        "params": next((m.params for m in models.values() if m.params is not None), None),
        "macs": next((m.macs for m in models.values() if m.macs is not None), None),
        "source": first.source.name,
        "architecture": json.dumps(first.architecture.model_dump(mode="json"), sort_keys=True),
        "config_id": config_id,
        "model_ids": sorted(models),
    }
    model_accuracies = [m.accuracy for m in models.values() if m.accuracy is not None]
    if not artifacts:
        yield _row(base, None, None, model_accuracies, [], [])
        return
    by_quantization: dict[str, dict[str, ArtifactRecord]] = {}
    for identifier, artifact in artifacts.items():
        by_quantization.setdefault(artifact.quantization, {})[identifier] = artifact
    for quantization, group in sorted(by_quantization.items()):
        accuracies = [a.accuracy for a in group.values() if a.accuracy is not None]
        if not accuracies and quantization == "fp32":
            accuracies = model_accuracies
        devices: dict[str, list[MeasurementRecord]] = {}
        for artifact_id in group:
            for measurement in measurements_of.get(artifact_id, []):
                devices.setdefault(measurement.device.name, []).append(measurement)
        base_with_ids = {**base, "artifact_ids": sorted(group)}
        if not devices:
            yield _row(base_with_ids, quantization, None, accuracies, [], [])
        for device, taken in sorted(devices.items()):
            latencies = [m.latency.headline_ms for m in taken]
            predicted = [
                m.predicted_latency_ms for m in taken if m.predicted_latency_ms is not None
            ]
            yield _row(base_with_ids, quantization, device, accuracies, latencies, predicted)


def _row(
    base: dict[str, object],
    quantization: str | None,
    device: str | None,
    accuracies: list[float],
    latencies: list[float],
    predicted: list[float],
) -> dict[str, object]:
    accuracy, accuracy_std = _mean_and_std(accuracies)
    return {
        "artifact_ids": [],
        **base,
        "quantization": quantization,
        "device": device,
        "accuracy": accuracy,
        "accuracy_std": accuracy_std,
        "n_seeds": len(accuracies),
        "latency_ms": _mean(latencies),
        "latency_predicted_ms": _mean(predicted),
    }


_parsed: dict[Path, dict[str, tuple[tuple[int, int], Record]]] = {}
"""Records `table()` has read, by folder and file name, with the (mtime, size) they had: a
rebuild in the same process (e.g. under `mkdocs serve`) reads and validates only new files."""

_configuration_ids: dict[str, str] = {}
"""`configuration_id` of each model id seen (ids are content hashes: the mapping never changes)."""


def _records_in(folder: Path) -> list[tuple[str, Record]]:
    """The records of one kind folder, by id, in file name order; read once per file version."""
    previous = _parsed.get(folder, {})
    current: dict[str, tuple[tuple[int, int], Record]] = {}
    if folder.is_dir():
        with os.scandir(folder) as entries:
            names = sorted(
                (entry.name, entry.stat())
                for entry in entries
                if not entry.name.startswith(".") and entry.name.endswith(".json")
            )
        for name, stat in names:
            stamp = (stat.st_mtime_ns, stat.st_size)
            known = previous.get(name)
            record = known[1] if known and known[0] == stamp else read_record(folder / name)
            current[name] = (stamp, record)
    _parsed[folder] = current
    return [(name.removesuffix(".json"), record) for name, (_, record) in current.items()]


def table(results_dirs: Path | str | Iterable[Path | str]) -> pd.DataFrame:
    """Join every record of the results directories into one row per (configuration, artifact
    quantization, device), seeds of one configuration aggregated (mean and sample std).

    A row's accuracy is its artifacts' own accuracy where measured, else (for fp32) the models'.
    """
    import pandas as pd

    directories = [results_dirs] if isinstance(results_dirs, Path | str) else list(results_dirs)
    models: dict[str, ModelRecord] = {}
    artifacts: dict[str, ArtifactRecord] = {}
    measurements: dict[str, MeasurementRecord] = {}
    for directory in directories:
        for identifier, record in _records_in(Path(directory) / "model"):
            if isinstance(record, ModelRecord):
                models[identifier] = record
        for identifier, record in _records_in(Path(directory) / "artifact"):
            if isinstance(record, ArtifactRecord):
                artifacts[identifier] = record
        for identifier, record in _records_in(Path(directory) / "measurement"):
            if isinstance(record, MeasurementRecord):
                measurements[identifier] = record
    configurations: dict[str, dict[str, ModelRecord]] = {}
    for identifier, model in models.items():
        if identifier not in _configuration_ids:
            _configuration_ids[identifier] = configuration_id(model)
        configurations.setdefault(_configuration_ids[identifier], {})[identifier] = model
    artifacts_of: dict[str, dict[str, ArtifactRecord]] = {}
    for identifier, artifact in artifacts.items():
        artifacts_of.setdefault(artifact.model_id, {})[identifier] = artifact
    measurements_of: dict[str, list[MeasurementRecord]] = {}
    for measurement in measurements.values():
        measurements_of.setdefault(measurement.artifact_id, []).append(measurement)
    rows: list[dict[str, object]] = []
    for config_id, group in configurations.items():
        group_artifacts = {k: a for m in group for k, a in artifacts_of.get(m, {}).items()}
        rows.extend(_rows_of_configuration(config_id, group, group_artifacts, measurements_of))
    frame = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    return frame.sort_values(["source", "family", "name", "quantization", "device"]).reset_index(
        drop=True
    )


def discover(paths: Iterable[Path]) -> list[Path]:
    """Results directories at or one level under `paths` (those holding record folders)."""

    def holds_records(directory: Path) -> bool:
        return any((directory / kind).is_dir() for kind in KINDS)

    found: list[Path] = []
    for path in paths:
        if holds_records(path):
            found.append(path)
        elif path.is_dir():
            found.extend(child for child in sorted(path.iterdir()) if holds_records(child))
    return found
