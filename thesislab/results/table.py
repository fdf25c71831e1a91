"""The results table: every record of the results directories joined into one row per (model
configuration, artifact quantization, device), seeds of one configuration aggregated.

A row's columns are those of `thesislab.results.columns` (`View.STORE`); its `role` is its
configuration's (`thesislab.results.roles`). Untrained networks measured on a device lend their
latency to the trained configurations of the same architecture (`latency_from`), published ones
to any configuration, others to configurations of their own role.

Records are immutable, and a record file rewritten is read into a new record object: a
configuration whose records (the same objects) and role are those of the last `table()` of this
process keeps the rows made then, so that a repeated call (a rebuild under `mkdocs serve`) joins
again only the configurations that new records touch.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from thesislab import collector
from thesislab.errors import ThesislabError
from thesislab.models.registry import architecture_key
from thesislab.records import (
    UNTRAINED,
    ArtifactRecord,
    MeasurementRecord,
    ModelRecord,
    Record,
)
from thesislab.results.columns import View
from thesislab.results.columns import names as column_names
from thesislab.results.roles import Role, combined_role, declared_role, model_role
from thesislab.store import Store

if TYPE_CHECKING:
    import pandas as pd


TABLE_COLUMNS: tuple[str, ...] = column_names(View.STORE)
"""Columns of `table()`, in order. `config_id` identifies a row's model configuration."""


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
    role: Role,
    artifacts: dict[str, ArtifactRecord],
    measurements_of: dict[str, list[MeasurementRecord]],
) -> Iterator[dict[str, object]]:
    first = next(iter(models.values()))
    untrained = first.weights == UNTRAINED
    base: dict[str, object] = {
        "name": first.name,
        "family": first.architecture.family,
        "stage": first.stage,
        "role": str(role),
        "pruning_method": first.lineage.pruning.method if first.lineage.pruning else None,
        "distilled": first.lineage.distilled,
        "params": next((m.params for m in models.values() if m.params is not None), None),
        "macs": next((m.macs for m in models.values() if m.macs is not None), None),
        "training_time_s": _mean(
            [m.training_time_s for m in models.values() if m.training_time_s is not None]
        ),
        "source": first.source.name,
        "architecture": json.dumps(first.architecture.model_dump(mode="json"), sort_keys=True),
        "config_id": config_id,
        "model_ids": sorted(models),
    }
    model_accuracies = [m.accuracy for m in models.values() if m.accuracy is not None]
    if untrained:  # whatever an artifact file of random weights scores is no result
        artifacts = {k: a.model_copy(update={"accuracy": None}) for k, a in artifacts.items()}
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
        sizes = [float(a.size_bytes) for a in group.values() if a.size_bytes is not None]
        base_with_ids = {**base, "artifact_ids": sorted(group), "size_bytes": _mean(sizes)}
        if not devices:
            yield _row(base_with_ids, quantization, None, accuracies, [], [])
        for device, taken in sorted(devices.items()):
            latencies = [m.latency_ms for m in taken]
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
        "size_bytes": None,
        **base,
        "quantization": quantization,
        "device": device,
        "accuracy": accuracy,
        "accuracy_std": accuracy_std,
        "n_seeds": len(accuracies),
        "latency_ms": _mean(latencies),
        "predicted_latency_ms": _mean(predicted),
        "latency_from": MEASURED if latencies else None,
    }


MEASURED = "measured"
"""`latency_from` of a row whose own artifacts were timed on its device."""
OF_ARCHITECTURE = "architecture"
"""`latency_from` of a row whose latency on its device was measured on an untrained network of
the same architecture and quantization (see `_architecture_rows`)."""


def architecture_known(stage: str, architecture_json: str) -> bool:
    """Whether a row's architecture (as JSON) is its network's: not that of a pruned network
    recorded without its widths (the thesis's pruned rows), whose spec is the unpruned one's."""
    return stage == "trained" or json.loads(architecture_json)["widths"] is not None


def _architecture_rows(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """The rows the measurements of untrained networks add: for every configuration of trained
    weights and each of its quantizations, one row per device on which an untrained network of
    the same architecture (resolved spec, widths included) and quantization was measured and
    the configuration itself was not, with the configuration's accuracy and that latency. A
    network lends its latency only where its role is published or the configuration's own."""
    measured = [row for row in rows if row["stage"] == UNTRAINED and row["device"] is not None]
    if not measured:
        return []
    latencies: dict[tuple[str, object], list[dict[str, object]]] = {}
    for row in measured:
        key = (architecture_key(str(row["architecture"])), row["quantization"])
        latencies.setdefault(key, []).append(row)
    present = {(row["config_id"], row["quantization"], row["device"]) for row in rows}
    added: list[dict[str, object]] = []
    seen: set[tuple[object, object]] = set()
    for row in rows:
        configuration = (row["config_id"], row["quantization"])
        if row["stage"] == UNTRAINED or row["quantization"] is None or configuration in seen:
            continue
        if not architecture_known(str(row["stage"]), str(row["architecture"])):
            continue
        seen.add(configuration)
        key = (architecture_key(str(row["architecture"])), row["quantization"])
        for untrained in latencies.get(key, []):
            if untrained["role"] not in (Role.PUBLISHED, row["role"]):
                continue
            if (*configuration, untrained["device"]) in present:
                continue
            added.append(
                {
                    **row,
                    "device": untrained["device"],
                    "latency_ms": untrained["latency_ms"],
                    "predicted_latency_ms": untrained["predicted_latency_ms"],
                    "latency_from": OF_ARCHITECTURE,
                }
            )
    return added


@dataclass(frozen=True)
class _Joined:
    """A configuration's rows, and the records (ids and objects) and role they were made of."""

    ids: tuple[str, ...]
    records: tuple[Record, ...]
    role: Role
    rows: list[dict[str, object]]

    def made_of(self, ids: tuple[str, ...], records: tuple[Record, ...], role: Role) -> bool:
        """Whether these are the very records and role the rows were made of."""
        return (
            self.role == role and self.ids == ids and all(map(operator.is_, self.records, records))
        )


_joined: dict[str, _Joined] = {}
"""The rows of each configuration as the last `table()` made them."""


def _configuration_rows(
    config_id: str,
    models: dict[str, ModelRecord],
    role: Role,
    artifacts: dict[str, ArtifactRecord],
    measurements_of: dict[str, list[tuple[str, MeasurementRecord]]],
) -> _Joined:
    """The rows of a configuration, those of the last `table()` where its records are the same."""
    measured = [pair for artifact in artifacts for pair in measurements_of.get(artifact, [])]
    ids = (*models, *artifacts, *(identifier for identifier, _ in measured))
    records: tuple[Record, ...] = (
        *models.values(),
        *artifacts.values(),
        *(record for _, record in measured),
    )
    known = _joined.get(config_id)
    if known is not None and known.made_of(ids, records, role):
        return known
    by_artifact = {
        artifact: [record for _, record in measurements_of.get(artifact, [])]
        for artifact in artifacts
    }
    rows = list(_rows_of_configuration(config_id, models, role, artifacts, by_artifact))
    return _Joined(ids, records, role, rows)


def table(
    results: Store | Path | str | Iterable[Store | Path | str],
    invalid: list[ThesislabError] | None = None,
    loaded: dict[str, Record] | None = None,
) -> pd.DataFrame:
    """Join every record of the results directories into one row per (configuration, artifact
    quantization, device), seeds of one configuration aggregated (mean and sample std).

    A directory given by its path is read through `Store.shared`, so a repeated call reads only
    the files added or changed since. A row's accuracy is its artifacts' own accuracy where
    measured, else (for fp32) the models'. A file that is not a valid record raises its error, or,
    given an `invalid` list, is added to it (the error names the file and the field) and left out.
    Given a `loaded` dict, every record read is added to it by id (what `records()` returns).
    """
    import pandas as pd

    given = [results] if isinstance(results, Store | Path | str) else list(results)
    stores = [item if isinstance(item, Store) else Store.shared(item) for item in given]
    with collector.paused():
        frame = pd.DataFrame(_rows(stores, invalid, loaded), columns=list(TABLE_COLUMNS))
    return frame.sort_values(["source", "family", "name", "quantization", "device"]).reset_index(
        drop=True
    )


def _rows(
    stores: list[Store], invalid: list[ThesislabError] | None, loaded: dict[str, Record] | None
) -> list[dict[str, object]]:
    """The rows of `table()`, unsorted."""
    models: dict[str, ModelRecord] = {}
    artifacts: dict[str, ArtifactRecord] = {}
    measurements: dict[str, MeasurementRecord] = {}
    configurations: dict[str, dict[str, ModelRecord]] = {}
    roles: dict[str, list[Role]] = {}
    for store in stores:
        declared = declared_role(store.root)
        for identifier, model in store.of_kind(ModelRecord, invalid).items():
            models[identifier] = model
            config_id = store.configuration_id(identifier)
            configurations.setdefault(config_id, {})[identifier] = model
            roles.setdefault(config_id, []).append(model_role(model, declared))
        artifacts.update(store.of_kind(ArtifactRecord, invalid))
        measurements.update(store.of_kind(MeasurementRecord, invalid))
    if loaded is not None:
        loaded.update({**models, **artifacts, **measurements})
    artifacts_of: dict[str, dict[str, ArtifactRecord]] = {}
    for identifier, artifact in artifacts.items():
        artifacts_of.setdefault(artifact.model_id, {})[identifier] = artifact
    measurements_of: dict[str, list[tuple[str, MeasurementRecord]]] = {}
    for identifier, measurement in measurements.items():
        measurements_of.setdefault(measurement.artifact_id, []).append((identifier, measurement))
    rows: list[dict[str, object]] = []
    made: dict[str, _Joined] = {}
    for config_id, group in configurations.items():
        group_artifacts = {k: a for m in group for k, a in artifacts_of.get(m, {}).items()}
        role = combined_role(roles[config_id])
        made[config_id] = _configuration_rows(
            config_id, group, role, group_artifacts, measurements_of
        )
        rows.extend(made[config_id].rows)
    _joined.clear()
    _joined.update(made)
    joined = _architecture_rows(rows)
    if joined:  # a configuration's row without a device gives way to those with a latency
        with_latency = {(row["config_id"], row["quantization"]) for row in joined}
        rows = [
            r
            for r in rows
            if r["device"] or (r["config_id"], r["quantization"]) not in with_latency
        ]
    return rows + joined
