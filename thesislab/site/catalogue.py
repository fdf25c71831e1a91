"""The records behind the results table, by model configuration.

`table()` aggregates the seeds of a configuration into rows; the model pages, the reproduction
page and the home page's latest results need the records themselves: every seed's history and
environment, every artifact and measurement, the lineage between configurations (teacher,
pruned from, fine-tuned or retrained children, students) and when each was created.
"""

from __future__ import annotations

import heapq
import json
import posixpath
from bisect import bisect_left
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from thesislab.records import ArtifactRecord, MeasurementRecord, ModelRecord, Record
from thesislab.site.links import model_page

if TYPE_CHECKING:
    import pandas as pd


def _aware(time: datetime) -> datetime:
    """`time` with a time zone: UTC where the record gave none."""
    return time if time.tzinfo is not None else time.replace(tzinfo=UTC)


_ABSENT = object()
"""A recipe setting a configuration does not have."""


def _setting_in_words(key: str, value: object) -> str:
    """A recipe setting as a reader reads it: 'tags: cosine, newKD', 'kd pipeline: no KD'."""
    words = key.replace("_", " ")
    if value is True:
        return words
    shown = (
        ", ".join(str(item) for item in value)
        if isinstance(value, list)
        else value
        if isinstance(value, str)
        else json.dumps(value, sort_keys=True)
    )
    return f"{words}: {str(shown).replace('_', ' ')}"


def _seed_order(model: ModelRecord, identifier: str) -> tuple[bool, int, str]:
    return model.seed is None, model.seed or 0, identifier


def _insert(values: list[str], value: str) -> None:
    """Put `value` in the sorted list `values`, unless it is there."""
    at = bisect_left(values, value)
    if at == len(values) or values[at] != value:
        values.insert(at, value)


@dataclass
class Catalogue:
    """Records by id, and the links between them, for the configurations of a results table.

    Lists of ids are in id order (seeds: in seed order), whatever order the records came in, so
    that a catalogue extended by the records added since it was made (`add`, as a rebuild under
    `mkdocs serve` does) is the catalogue of all of them."""

    models: dict[str, ModelRecord] = field(default_factory=dict)
    artifacts: dict[str, ArtifactRecord] = field(default_factory=dict)
    measurements: dict[str, MeasurementRecord] = field(default_factory=dict)
    seeds: dict[str, list[str]] = field(default_factory=dict)
    """Model ids of each configuration, in seed order."""
    config_of: dict[str, str] = field(default_factory=dict)
    """Configuration of each model id."""
    artifacts_of: dict[str, list[str]] = field(default_factory=dict)
    """Artifact ids of each model id."""
    measurements_of: dict[str, list[str]] = field(default_factory=dict)
    """Measurement ids of each artifact id."""
    children_of: dict[str, list[str]] = field(default_factory=dict)
    """Configurations whose models were pruned from (or fine-tuned, retrained after) this one's."""
    students_of: dict[str, list[str]] = field(default_factory=dict)
    """Configurations whose models were distilled from this one's."""
    linked_from: dict[str, list[str]] = field(default_factory=dict)
    """Model ids whose parent or teacher is this model id, whether catalogued or not (yet)."""
    newest: dict[str, datetime] = field(default_factory=dict)
    """When each configuration's newest record was made (training, conversion or measurement),
    where records say."""
    listed: dict[str, tuple[str, str, str, tuple[str, ...]]] = field(default_factory=dict)
    """What the models index shows of each configuration: its family, name, page (relative to
    the index) and, unless it was simply trained, its stage and method."""

    @classmethod
    def of(cls, records: Mapping[str, Record], frame: pd.DataFrame) -> Catalogue:
        """The catalogue of the configurations in `frame` (a `table()`), from their records."""
        seeds: dict[str, list[str]] = {}
        seen: set[str] = set()
        configurations = frame["config_id"].tolist()
        for config_id, model_ids in zip(configurations, frame["model_ids"].tolist(), strict=True):
            for model_id in model_ids:
                if model_id not in seen and isinstance(records.get(model_id), ModelRecord):
                    seen.add(model_id)
                    seeds.setdefault(config_id, []).append(model_id)
        artifacts_of: dict[str, list[str]] = {}
        measurements_of: dict[str, list[str]] = {}
        for identifier, record in records.items():
            if isinstance(record, ArtifactRecord):
                artifacts_of.setdefault(record.model_id, []).append(identifier)
            elif isinstance(record, MeasurementRecord):
                measurements_of.setdefault(record.artifact_id, []).append(identifier)
        contents = {}
        for config_id, model_ids in seeds.items():
            artifacts = [a for model in model_ids for a in artifacts_of.get(model, [])]
            measured = [m for artifact in artifacts for m in measurements_of.get(artifact, [])]
            contents[config_id] = [*model_ids, *artifacts, *measured]
        catalogue = cls()
        catalogue.add(records, contents)
        return catalogue

    def add(self, records: Mapping[str, Record], contents: Mapping[str, Iterable[str]]) -> None:
        """Add configurations, or records to them: the ids of each one's records (its models,
        then their artifacts, then those's measurements; those already here too)."""
        added: list[str] = []
        for config_id, identifiers in contents.items():
            for identifier in identifiers:
                record = records[identifier]
                if isinstance(record, ModelRecord) and identifier not in self.models:
                    self.models[identifier] = record
                    self.config_of[identifier] = config_id
                    self.seeds.setdefault(config_id, []).append(identifier)
                    added.append(identifier)
                elif isinstance(record, ArtifactRecord) and identifier not in self.artifacts:
                    self.artifacts[identifier] = record
                    _insert(self.artifacts_of.setdefault(record.model_id, []), identifier)
                elif isinstance(record, MeasurementRecord) and identifier not in self.measurements:
                    self.measurements[identifier] = record
                    _insert(self.measurements_of.setdefault(record.artifact_id, []), identifier)
            models = self.models
            self.seeds[config_id].sort(key=lambda m: _seed_order(models[m], m))
            self._date(config_id)
            if config_id not in self.listed:
                self.listed[config_id] = self._listing(config_id)
        for model_id in added:
            lineage = self.models[model_id].lineage
            for linked in {lineage.parent_id, lineage.teacher_id} - {None}:
                self.linked_from.setdefault(str(linked), []).append(model_id)
        for model_id in added:
            for linked in [model_id, *self.linked_from.get(model_id, [])]:
                self._link(linked)

    def _link(self, model_id: str) -> None:
        """Link the configuration of `model_id` to its parent's and teacher's, where
        catalogued."""
        config_id = self.config_of.get(model_id)
        if config_id is None:
            return
        lineage = self.models[model_id].lineage
        parent = self.config_of.get(lineage.parent_id or "")
        if parent is not None:
            _insert(self.children_of.setdefault(parent, []), config_id)
        teacher = self.config_of.get(lineage.teacher_id or "")
        if teacher is not None and lineage.distilled:
            _insert(self.students_of.setdefault(teacher, []), config_id)

    def _date(self, config_id: str) -> None:
        """Note when the newest record of the configuration was made."""
        artifacts = self.artifact_ids(config_id)
        times = [
            *(self.models[m].created_at for m in self.seeds[config_id]),
            *(self.artifacts[a].created_at for a in artifacts),
            *(
                self.measurements[m].created_at
                for a in artifacts
                for m in self.measurements_of.get(a, [])
            ),
        ]
        dated = [_aware(time) for time in times if time is not None]
        if dated:
            self.newest[config_id] = max(dated)

    def _listing(self, config_id: str) -> tuple[str, str, str, tuple[str, ...]]:
        model = self.first(config_id)
        lineage = model.lineage
        detail = [] if model.stage == "trained" else [model.stage.replace("_", "-")]
        detail += [lineage.pruning.method] if lineage.pruning else []
        detail += ["distilled"] if lineage.distilled else []
        page = posixpath.basename(model_page(config_id))
        return model.architecture.family, model.name, page, tuple(detail)

    def first(self, config_id: str) -> ModelRecord:
        """The first seed's record: what all seeds of the configuration share."""
        return self.models[self.seeds[config_id][0]]

    def _linked(self, config_id: str, link: str) -> list[str]:
        found: list[str] = []
        for model_id in self.seeds[config_id]:
            target = self.config_of.get(getattr(self.models[model_id].lineage, link) or "")
            if target is not None and target not in found:
                found.append(target)
        return found

    def parents(self, config_id: str) -> list[str]:
        """The configurations this one's models were pruned from (or fine-tuned after)."""
        return self._linked(config_id, "parent_id")

    def teachers(self, config_id: str) -> list[str]:
        """The configurations of this one's teachers."""
        return self._linked(config_id, "teacher_id")

    def artifact_ids(self, config_id: str) -> list[str]:
        """Every artifact of every seed of the configuration."""
        seeds = self.seeds[config_id]
        return [artifact for model in seeds for artifact in self.artifacts_of.get(model, [])]

    def record_ids(self, config_id: str) -> list[str]:
        """Every record of the configuration: its models, their artifacts and measurements.
        Ids are content hashes, so these name the configuration's content."""
        artifacts = self.artifact_ids(config_id)
        measured = [m for a in artifacts for m in self.measurements_of.get(a, [])]
        return [*self.seeds[config_id], *artifacts, *measured]

    def dataset(self, config_id: str) -> str | None:
        """The name of the data set the configuration was trained and tested on, if recorded."""
        dataset = self.first(config_id).dataset
        return dataset.name if dataset else None

    def latest(self, count: int, among: Collection[str]) -> list[tuple[str, datetime]]:
        """The `count` configurations of `among` with the newest records (training, conversion
        or measurement, where records say when), newest first, with their time."""
        chosen = set(among)
        dated = (
            (config_id, time) for config_id, time in self.newest.items() if config_id in chosen
        )
        return heapq.nlargest(count, dated, key=lambda item: (item[1], item[0]))

    def index(self, among: Collection[str]) -> list[tuple[str, str, str, str]]:
        """The configurations of `among` as the models index lists them, by family, then name
        and page (each in name order): each one's family, name, page (relative to the index) and,
        unless it was simply trained, its stage and method; where several configurations share
        a name and these, what sets each apart (its recipe's own settings in words, else its
        id)."""
        listed = self.listed
        shared = Counter((listed[config][1], listed[config][3]) for config in among)
        namesakes: dict[tuple[str, tuple[str, ...]], list[str]] = {}
        for config_id in among:
            _, name, _, detail = listed[config_id]
            if shared[(name, detail)] > 1:
                namesakes.setdefault((name, detail), []).append(config_id)
        apart = {
            config_id: words
            for group in namesakes.values()
            for config_id, words in self._apart(group).items()
        }
        entries = []
        for config_id in among:
            family, name, page, detail = listed[config_id]
            words = [*detail, *apart[config_id]] if config_id in apart else detail
            entries.append((family, name, page, " · ".join(words)))
        entries.sort(key=lambda entry: entry[:3])
        return entries

    def _apart(self, namesakes: list[str]) -> dict[str, list[str]]:
        """What sets each of `namesakes` apart, in words: the recipe settings it has that the
        others do not all share (nothing for the one configuration without such settings), and
        its id where that leaves it like another."""
        recipes = {config_id: self.first(config_id).recipe_fields for config_id in namesakes}
        own = {
            config_id: [
                _setting_in_words(key, value)
                for key, value in sorted(recipe.items())
                if any(other.get(key, _ABSENT) != value for other in recipes.values())
                and value is not None
                and value is not False
                and value != []
            ]
            for config_id, recipe in recipes.items()
        }
        alike = Counter(tuple(words) for words in own.values())
        return {
            config_id: [*words, f"configuration {config_id[:8]}"]
            if alike[tuple(words)] > 1
            else words
            for config_id, words in own.items()
        }

    def counts(self) -> dict[str, int]:
        """How many records of each kind the catalogue holds."""
        return {
            "model": len(self.models),
            "artifact": len(self.artifacts),
            "measurement": len(self.measurements),
        }
