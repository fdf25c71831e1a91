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
from collections import Counter
from collections.abc import Collection, Mapping
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


def _add(index: dict[str, list[str]], key: str, value: str) -> None:
    values = index.setdefault(key, [])
    if value not in values:
        values.append(value)


@dataclass
class Catalogue:
    """Records by id, and the links between them, for the configurations of a results table."""

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

    @classmethod
    def of(cls, records: Mapping[str, Record], frame: pd.DataFrame) -> Catalogue:
        """The catalogue of the configurations in `frame` (a `table()`), from their records."""
        catalogue = cls()
        configurations = frame["config_id"].tolist()
        for config_id, model_ids in zip(configurations, frame["model_ids"].tolist(), strict=True):
            for model_id in model_ids:
                if model_id in catalogue.config_of:
                    continue
                record = records.get(model_id)
                if isinstance(record, ModelRecord):
                    catalogue.models[model_id] = record
                    catalogue.config_of[model_id] = config_id
                    catalogue.seeds.setdefault(config_id, []).append(model_id)
        for identifier, record in records.items():
            if isinstance(record, ArtifactRecord) and record.model_id in catalogue.models:
                catalogue.artifacts[identifier] = record
                catalogue.artifacts_of.setdefault(record.model_id, []).append(identifier)
        for identifier, record in records.items():
            if isinstance(record, MeasurementRecord) and record.artifact_id in catalogue.artifacts:
                catalogue.measurements[identifier] = record
                catalogue.measurements_of.setdefault(record.artifact_id, []).append(identifier)
        for model_id, model in catalogue.models.items():
            config_id = catalogue.config_of[model_id]
            parent = catalogue.config_of.get(model.lineage.parent_id or "")
            if parent is not None:
                _add(catalogue.children_of, parent, config_id)
            teacher = catalogue.config_of.get(model.lineage.teacher_id or "")
            if teacher is not None and model.lineage.distilled:
                _add(catalogue.students_of, teacher, config_id)
        models = catalogue.models
        for model_ids in catalogue.seeds.values():
            model_ids.sort(key=lambda m: (models[m].seed is None, models[m].seed or 0, m))
        return catalogue

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
        newest: dict[str, datetime] = {}
        dated: list[tuple[str, datetime | None]] = [
            *((self.config_of[m], model.created_at) for m, model in self.models.items()),
            *((self.config_of[a.model_id], a.created_at) for a in self.artifacts.values()),
            *(
                (self.config_of[self.artifacts[m.artifact_id].model_id], m.created_at)
                for m in self.measurements.values()
            ),
        ]
        for config_id, time in dated:
            if time is not None and config_id in chosen:
                time = _aware(time)
                newest[config_id] = max(time, newest.get(config_id, time))
        return heapq.nlargest(count, newest.items(), key=lambda item: (item[1], item[0]))

    def by_family(self, among: Collection[str]) -> list[tuple[str, list[dict[str, str]]]]:
        """The configurations of `among` for the models index: per family (in name order), its
        name, page (relative to the index) and, unless it was simply trained, its stage and
        method; where several configurations share a name and these, what sets each apart (its
        recipe's own settings in words, else its id)."""
        families: dict[str, list[dict[str, str]]] = {}
        namesakes: dict[tuple[str, ...], list[str]] = {}
        details: dict[str, list[str]] = {}
        for config_id in (config_id for config_id in self.seeds if config_id in among):
            model = self.first(config_id)
            lineage = model.lineage
            detail = [] if model.stage == "trained" else [model.stage.replace("_", "-")]
            detail += [lineage.pruning.method] if lineage.pruning else []
            detail += ["distilled"] if lineage.distilled else []
            details[config_id] = detail
            namesakes.setdefault((model.name, *detail), []).append(config_id)
        for group in namesakes.values():
            apart = self._apart(group) if len(group) > 1 else {}
            for config_id in group:
                model = self.first(config_id)
                detail = [*details[config_id], *apart.get(config_id, [])]
                families.setdefault(model.architecture.family, []).append(
                    {
                        "name": model.name,
                        "page": posixpath.basename(model_page(config_id)),
                        "detail": " · ".join(detail),
                    }
                )
        return [
            (family, sorted(entries, key=lambda entry: (entry["name"], entry["page"])))
            for family, entries in sorted(families.items())
        ]

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
