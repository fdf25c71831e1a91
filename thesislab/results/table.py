"""The results table: every record of the results directories joined into one row per (model
configuration, artifact quantization, device), seeds of one configuration aggregated.

A row's columns are those of `thesislab.results.columns` (`View.STORE`); its `role` is its
configuration's (`thesislab.results.roles`). Untrained networks measured on a device lend their
latency to the trained configurations of the same architecture (`latency_from`), published ones
to any configuration, others to configurations of their own role.

Records are immutable, so the join of a set of results directories is kept from one `table()`
of this process to the next: where the records since are the same with some added (a rebuild
under `mkdocs serve`), only the configurations of the new records are joined again; where one
went or changed (a file rewritten is read into a new record object), all are. A configuration's
records are taken in id order wherever their order counts (its first seed, the order of the
values averaged), so that the rows are the same whichever way they were joined.
"""

from __future__ import annotations

import itertools
import json
import operator
from bisect import bisect_left, insort
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

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
    import numpy as np
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


_LISTS = ("model_ids", "artifact_ids")
"""The columns whose values are lists (of record ids)."""
_values = operator.itemgetter(*(column for column in TABLE_COLUMNS if column not in _LISTS))
_in_order = operator.itemgetter(*TABLE_COLUMNS)


def _row_key(row: dict[str, Any]) -> int:
    """A key of a row's content: equal for equal rows within this process (see `Joined.keys`)."""
    return hash((_values(row), *(tuple(row[column]) for column in _LISTS)))


def _place(row: dict[str, object], tiebreak: tuple[object, ...]) -> tuple[object, ...]:
    """Where a row goes in the table: by source, family, name, quantization and device (missing
    values last), then by `tiebreak`."""
    quantization, device = row["quantization"], row["device"]
    return (
        row["source"],
        row["family"],
        row["name"],
        quantization is None,
        quantization or "",
        device is None,
        device or "",
        *tiebreak,
    )


@dataclass(frozen=True)
class _Rows:
    """A configuration's rows, with their keys (`_row_key`) and places (`_place`)."""

    rows: list[dict[str, object]]
    keys: list[int]
    places: list[tuple[object, ...]]


@dataclass
class _Sorted:
    """The rows of the table in its order, as columns (and each row's place and key): kept from
    one join to the next, so that a few rows come and go without sorting them all again."""

    places: list[tuple[object, ...]] = field(default_factory=list)
    keys: list[int] = field(default_factory=list)
    columns: dict[str, list[object]] = field(
        default_factory=lambda: {column: [] for column in TABLE_COLUMNS}
    )

    @classmethod
    def of(
        cls, rows: list[dict[str, object]], keys: list[int], places: list[tuple[object, ...]]
    ) -> _Sorted:
        order = sorted(range(len(rows)), key=places.__getitem__)
        ordered = [_in_order(rows[index]) for index in order]
        by_column = zip(*ordered, strict=True) if ordered else ([] for _ in TABLE_COLUMNS)
        columns = dict(zip(TABLE_COLUMNS, map(list, by_column), strict=True))
        return cls([places[index] for index in order], [keys[index] for index in order], columns)

    def remove(self, places: list[tuple[object, ...]]) -> None:
        for place in places:
            at = bisect_left(self.places, place)
            del self.places[at], self.keys[at]
            for values in self.columns.values():
                del values[at]

    def insert(
        self, rows: list[dict[str, object]], keys: list[int], places: list[tuple[object, ...]]
    ) -> None:
        for row, key, place in zip(rows, keys, places, strict=True):
            at = bisect_left(self.places, place)
            self.places.insert(at, place)
            self.keys.insert(at, key)
            for column, values in self.columns.items():
                values.insert(at, row[column])


@dataclass
class _Join:
    """The records of a set of results directories, indexed for the join, and the rows of each
    configuration: records added since the last `table()` extend it (see `_added`)."""

    declared: tuple[Role | None, ...]
    """The role each results directory declares."""
    serial: int = 0
    """The number of its last join (`Joined.serial`)."""
    loaded: list[_Loaded] = field(default_factory=list)
    """The records of each directory, as last loaded."""
    models: dict[str, ModelRecord] = field(default_factory=dict)
    artifacts: dict[str, ArtifactRecord] = field(default_factory=dict)
    measurements: dict[str, MeasurementRecord] = field(default_factory=dict)
    config_of: dict[str, str] = field(default_factory=dict)
    roles: dict[str, set[Role]] = field(default_factory=dict)
    """The roles of each model id (one per directory holding it)."""
    origin: dict[str, int] = field(default_factory=dict)
    """The place of the first results directory holding each record id."""
    seeds: dict[str, list[str]] = field(default_factory=dict)
    """The model ids of each configuration, in `_rank` order."""
    artifacts_of: dict[str, list[str]] = field(default_factory=dict)
    """The artifact ids of each model id, in `_rank` order (models not loaded included)."""
    measurements_of: dict[str, list[str]] = field(default_factory=dict)
    """The measurement ids of each artifact id, in `_rank` order (artifacts not loaded
    included)."""
    rows_of: dict[str, _Rows] = field(default_factory=dict)
    """The rows of each configuration, with their keys and places."""
    whole: bool = True
    """Whether the records being added are a whole read of the directories (which come in
    `_rank` order), not some added since."""
    lending: set[str] = field(default_factory=set)
    """The configurations of untrained networks measured on a device, which lend their latency
    to others (`_architecture_rows`)."""
    sorted: _Sorted | None = None
    """The table as the last join left it; None where it is to be sorted anew."""

    def add(
        self,
        place: int,
        store: Store,
        declared: Role | None,
        models: dict[str, ModelRecord],
        artifacts: dict[str, ArtifactRecord],
        measurements: dict[str, MeasurementRecord],
    ) -> set[str]:
        """Add records of `store`, the `place`-th results directory (which declares the role
        `declared`); return the configurations whose records changed (their rows are stale
        until `rejoin`)."""
        touched: set[str] = set()
        for identifier, model in models.items():
            if identifier not in self.models:
                config_id = store.configuration_id(identifier)
                self.models[identifier] = model
                self.config_of[identifier] = config_id
                self._put(self.seeds.setdefault(config_id, []), identifier, place)
            self.roles.setdefault(identifier, set()).add(model_role(model, declared))
            touched.add(self.config_of[identifier])
        for identifier, artifact in artifacts.items():
            if identifier not in self.artifacts:
                self.artifacts[identifier] = artifact
                self._put(self.artifacts_of.setdefault(artifact.model_id, []), identifier, place)
            touched.add(self.config_of.get(artifact.model_id, ""))
        for identifier, measurement in measurements.items():
            if identifier not in self.measurements:
                self.measurements[identifier] = measurement
                measured = self.measurements_of.setdefault(measurement.artifact_id, [])
                self._put(measured, identifier, place)
            timed = self.artifacts.get(measurement.artifact_id)
            touched.add(self.config_of.get(timed.model_id, "") if timed else "")
        touched.discard("")
        return touched

    def _put(self, identifiers: list[str], identifier: str, place: int) -> None:
        """Put the id of a record from the `place`-th directory among `identifiers`, in
        `_rank` order (at their end, where a whole read puts them: in that order)."""
        self.origin[identifier] = place
        if self.whole or not identifiers or self._rank(identifiers[-1]) < (place, identifier):
            identifiers.append(identifier)
        else:
            insort(identifiers, identifier, key=self._rank)

    def holds_any(self, added: list[_Loaded]) -> bool:
        """Whether any of the `added` records is here already (from another directory)."""
        return any(
            not self.models.keys().isdisjoint(models)
            or not self.artifacts.keys().isdisjoint(artifacts)
            or not self.measurements.keys().isdisjoint(measurements)
            for models, artifacts, measurements in added
        )

    def _rank(self, identifier: str) -> tuple[int, str]:
        """Where a record comes among others: by results directory, then by id."""
        return self.origin[identifier], identifier

    def rejoin(self, configurations: set[str]) -> None:
        """Join the rows of `configurations` again."""
        lent = bool(self.lending)
        before = [
            self.rows_of[config_id] for config_id in configurations if config_id in self.rows_of
        ]
        for config_id in configurations:
            joined = self.rows_of[config_id] = self._join(config_id)
            if any(row["stage"] == UNTRAINED and row["device"] is not None for row in joined.rows):
                self.lending.add(config_id)
            else:
                self.lending.discard(config_id)
        if self.sorted is None or lent or self.lending:  # rows lent to others: all change
            self.sorted = None
            return
        for known in before:
            self.sorted.remove(known.places)
        for config_id in configurations:
            joined = self.rows_of[config_id]
            self.sorted.insert(joined.rows, joined.keys, joined.places)

    def table(self) -> tuple[pd.DataFrame, np.ndarray]:
        """The table, in order, and the keys of its rows."""
        import numpy as np
        import pandas as pd

        if self.sorted is None:
            self.sorted = self._sort()
        frame = pd.DataFrame(self.sorted.columns, columns=list(TABLE_COLUMNS))
        return frame, np.asarray(self.sorted.keys, dtype=np.int64)

    def contents(self, config_id: str) -> list[str]:
        """The ids of a configuration's records: its models, then their artifacts, then
        those's measurements, each in `_rank` order."""
        seeds = self.seeds[config_id]
        artifacts = [a for model in seeds for a in self.artifacts_of.get(model, [])]
        measured = [m for artifact in artifacts for m in self.measurements_of.get(artifact, [])]
        return [*seeds, *artifacts, *measured]

    def _join(self, config_id: str) -> _Rows:
        """The rows of a configuration, with their keys and places (among equal rows, in the
        `_rank` order of the configurations' first models)."""
        seeds = self.seeds[config_id]
        models = {identifier: self.models[identifier] for identifier in seeds}
        role = combined_role(role for identifier in seeds for role in self.roles[identifier])
        artifacts = {
            identifier: self.artifacts[identifier]
            for model in seeds
            for identifier in self.artifacts_of.get(model, [])
        }
        measurements_of = {
            artifact: [self.measurements[m] for m in self.measurements_of.get(artifact, [])]
            for artifact in artifacts
        }
        rows = list(_rows_of_configuration(config_id, models, role, artifacts, measurements_of))
        first = self._rank(seeds[0])
        places = [_place(row, (0, *first, index)) for index, row in enumerate(rows)]
        return _Rows(rows, [_row_key(row) for row in rows], places)

    def _sort(self) -> _Sorted:
        """Every row of the table, sorted."""
        rows: list[dict[str, object]] = []
        keys: list[int] = []
        places: list[tuple[object, ...]] = []
        for config_id in sorted(self.rows_of, key=lambda config: self._rank(self.seeds[config][0])):
            own = self.rows_of[config_id]
            rows += own.rows
            keys += own.keys
            places += own.places
        joined = _architecture_rows(rows)
        if joined:  # a configuration's row without a device gives way to those with a latency
            with_latency = {(row["config_id"], row["quantization"]) for row in joined}
            kept = [
                index
                for index, row in enumerate(rows)
                if row["device"] or (row["config_id"], row["quantization"]) not in with_latency
            ]
            rows = [rows[index] for index in kept] + joined
            keys = [keys[index] for index in kept] + [_row_key(row) for row in joined]
            places = [places[index] for index in kept] + [
                _place(row, (1, index, "", 0)) for index, row in enumerate(joined)
            ]
        return _Sorted.of(rows, keys, places)


_Loaded = tuple[dict[str, ModelRecord], dict[str, ArtifactRecord], dict[str, MeasurementRecord]]
"""A results directory's models, artifacts and measurements, by id."""


def _load(store: Store, invalid: list[ThesislabError] | None) -> _Loaded:
    return (
        store.of_kind(ModelRecord, invalid),
        store.of_kind(ArtifactRecord, invalid),
        store.of_kind(MeasurementRecord, invalid),
    )


R = TypeVar("R", ModelRecord, ArtifactRecord, MeasurementRecord)


def _new(found: dict[str, R], known: dict[str, R]) -> dict[str, R] | None:
    """The records of `found` not among `known`, in id order; None where one of `known` is
    not in `found` (gone or rewritten)."""
    if not known.items() <= found.items():
        return None
    return {identifier: found[identifier] for identifier in sorted(found.keys() - known.keys())}


def _added(join: _Join, loaded: list[_Loaded]) -> list[_Loaded] | None:
    """The records of each directory added since `join` was made, in id order; None where
    a record went or changed."""
    if len(loaded) != len(join.loaded):
        return None
    added = []
    for now, before in zip(loaded, join.loaded, strict=True):
        models = _new(now[0], before[0])
        artifacts = _new(now[1], before[1])
        measurements = _new(now[2], before[2])
        if models is None or artifacts is None or measurements is None:
            return None
        added.append((models, artifacts, measurements))
    return added


_serials = itertools.count(1)
_joins: dict[tuple[Path, ...], _Join] = {}
"""The last join of each set of results directories."""
KEPT_JOINS = 4
"""How many sets of results directories keep their join."""


@dataclass(frozen=True)
class Joined:
    """The results table, and what it was joined from."""

    frame: pd.DataFrame
    """The table: one row per (configuration, artifact quantization, device)."""
    keys: np.ndarray
    """A key of each row's content, in the table's order: equal for equal rows within this
    process (a rebuild compares them to find what changed), never the same across processes."""
    records: dict[str, Record]
    """Every record read, by id."""
    serial: int
    """The number of this join among those of this process."""
    extends: int | None
    """The number of the join of the same directories this one extends (the records since are
    the same with some added); None where it joined all records."""
    changed: dict[str, list[str]] | None
    """The configurations whose records changed since the join this one extends, with the ids
    of their records (`_Join.contents`); None where it extends none."""


def joined(
    results: Store | Path | str | Iterable[Store | Path | str],
    invalid: list[ThesislabError] | None = None,
) -> Joined:
    """The results table of the results directories (see `table()`), with the keys of its rows
    and its records.

    The join of a set of directories is kept: where the records since its last join in this
    process are the same with some added (a rebuild under `mkdocs serve`), only the
    configurations of the new records are joined again.
    """

    given = [results] if isinstance(results, Store | Path | str) else list(results)
    stores = [item if isinstance(item, Store) else Store.shared(item) for item in given]
    roots = tuple(store.root.resolve() for store in stores)
    declared = tuple(declared_role(store.root) for store in stores)
    with collector.paused():
        loaded = [_load(store, invalid) for store in stores]
        join = _joins.pop(roots, None)
        added = None if join is None or join.declared != declared else _added(join, loaded)
        if join is not None and added is not None and join.holds_any(added):
            added = None  # a record in one more directory: it may come before its place
        extends = join.serial if join is not None and added is not None else None
        if join is None or added is None:
            join, added = _Join(declared), loaded
        join.serial = next(_serials)
        join.whole = extends is None
        changed: set[str] = set()
        for place, (store, role, (models, artifacts, measurements)) in enumerate(
            zip(stores, declared, added, strict=True)
        ):
            changed |= join.add(place, store, role, models, artifacts, measurements)
        join.rejoin(changed)
        join.loaded = loaded
        _joins[roots] = join
        while len(_joins) > KEPT_JOINS:
            del _joins[next(iter(_joins))]
        frame, keys = join.table()
    return Joined(
        frame,
        keys,
        {**join.models, **join.artifacts, **join.measurements},
        join.serial,
        extends,
        None if extends is None else {config_id: join.contents(config_id) for config_id in changed},
    )


def table(
    results: Store | Path | str | Iterable[Store | Path | str],
    invalid: list[ThesislabError] | None = None,
) -> pd.DataFrame:
    """Join every record of the results directories into one row per (configuration, artifact
    quantization, device), seeds of one configuration aggregated (mean and sample std).

    A directory given by its path is read through `Store.shared`, so a repeated call reads only
    the files added or changed since (and joins again only the configurations they touch). A
    row's accuracy is its artifacts' own accuracy where measured, else (for fp32) the models'.
    A file that is not a valid record raises its error, or, given an `invalid` list, is added
    to it (the error names the file and the field) and left out.
    """
    return joined(results, invalid).frame
