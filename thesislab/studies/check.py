"""A study read and checked whole before anything runs: every problem at once, each on one line
with its place in the file (``study.yaml:14: architectures.1.stages.bench.devices.0: ...``).

The check covers the schema (unknown keys, named as read with the closest valid key; missing
keys; values of the wrong type or out of range) and what the schema cannot see: every
architecture reads as a network of the zoo; every recipe, with its preset, resolves; every
protocol, with its preset, resolves and times no reference network (those measure lookup tables:
`thesislab lut`); every pruning method exists and takes its settings, every prune stage's
fine-tuning and retraining recipes resolve, its retraining parameters fit the entry's network and
the stage it starts from comes before it; every teacher is an entry of the study; every entry's
stages have their inputs; no two entries share a name. Given the `Machine` the study is to run
on, also that every device is in its inventory and the data source can be read there.

What validates of a study with problems is still checked (an entry with a problem of its own does
not hide the others'), so that a study's mistakes are found in one pass.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import pydantic
import yaml
from pydantic import BaseModel

from thesislab.bench.devices import Inventory
from thesislab.errors import ThesislabError
from thesislab.records import Protocol
from thesislab.studies.problems import (
    KeyPath,
    Places,
    Problem,
    document_order,
    unknown_keys,
    valid_part,
    validation_problems,
)
from thesislab.studies.spec import (
    Defaults,
    Entry,
    PruneStage,
    Stages,
    Study,
    entry_data,
    merged_stages,
)
from thesislab.training_recipe import Recipe

PRESET_KEY = "preset"
"""The key of a recipe or protocol mapping naming the preset the other keys override."""

RECIPE_ORIGIN = "recipe options: "
"""How `load_recipe` starts an error of recipe fields given without a file."""

T = TypeVar("T")


@dataclass(frozen=True)
class Machine:
    """What a study needs of the machine it runs on: the devices of its inventory and the data
    sources it can read."""

    inventory: Inventory


class StudyError(ThesislabError):
    """A study with problems: each is one line in `problems`, in the file's order."""

    def __init__(self, origin: str, problems: list[str]) -> None:
        self.problems = tuple(problems)
        summary = problems[0]
        if len(problems) > 1:
            summary = f"{origin}: {len(problems)} problems, the first: {problems[0]}"
        super().__init__(summary)


@dataclass
class _Parts:
    """The parts of a study that validate: all of it when it does; else, of each part, what
    validates (`problems.valid_part`), complete or not."""

    recipe: dict[str, Any] | None
    data: str | None
    defaults: Defaults | None
    complete_defaults: bool
    entries: list[tuple[int, Entry, bool]]
    """Each entry that validates at least in part: its position, what validates, whether that
    is all of it."""
    labels: list[str] | None
    """The names of the entries, where every entry has one."""

    @classmethod
    def of(cls, study: Study) -> _Parts:
        entries = [(position, entry, True) for position, entry in enumerate(study.architectures)]
        labels = [entry.label for entry in study.architectures]
        return cls(study.recipe, study.data, study.defaults, True, entries, labels)

    @classmethod
    def valid_in(cls, data: Mapping[str, Any]) -> _Parts:
        recipe = data.get("recipe", {})
        source = data.get("data", Study.model_fields["data"].default)
        defaults, complete_defaults = valid_part(Defaults, data.get("defaults", {}))
        raw_entries = data.get("architectures")
        raw_entries = raw_entries if isinstance(raw_entries, list) else []
        entries = []
        for position, raw in enumerate(raw_entries):
            entry, complete = valid_part(Entry, entry_data(raw))
            if entry is not None:
                entries.append((position, entry, complete))
        labels = [entry.label for _, entry, _ in entries]
        return cls(
            recipe if isinstance(recipe, dict) else None,
            source if isinstance(source, str) else None,
            defaults,
            complete_defaults,
            entries,
            labels if len(entries) == len(raw_entries) else None,
        )


@dataclass
class _Checker:
    """What the schema cannot see, collected problem by problem."""

    machine: Machine | None
    problems: list[Problem] = field(default_factory=list)

    def attempt(self, path: KeyPath, check: Callable[[], T]) -> T | None:
        """`check()`, or None and a problem at `path` with its error's message."""
        try:
            return check()
        except ThesislabError as error:
            self.problems.append(Problem(path, str(error)))
            return None

    def keys_known(self, mapping: Mapping[str, Any], path: KeyPath, model: type[BaseModel]) -> bool:
        """Whether every key of a free mapping (a recipe, a protocol's overrides, a method's
        settings) is a field of `model` (or the preset's name); each other one is a problem."""
        found = unknown_keys(mapping, path, model, also=(PRESET_KEY,))
        self.problems.extend(found)
        return not found

    def recipe(self, own: dict[str, Any], path: KeyPath, base: dict[str, Any]) -> bool:
        """Whether the recipe `own` written at `path`, over the fields of `base`, resolves."""
        from thesislab.train.recipe import load_recipe

        if not self.keys_known(own, path, Recipe):
            return False
        try:
            load_recipe(None, **{**base, **own})
        except ThesislabError as error:
            self.problems.append(Problem(path, str(error).removeprefix(RECIPE_ORIGIN)))
            return False
        return True

    def data(self, source: str) -> None:
        from thesislab.data.sources import KERAS, resolve

        if self.machine is not None and source != KERAS:  # Keras downloads what it lacks
            self.attempt(("data",), lambda: resolve(source, download=False))

    def architecture(self, entry: Entry, path: KeyPath) -> bool:
        """Whether the entry's architecture reads as a network of the zoo."""
        from thesislab.models.registry import resolve

        return self.attempt((*path, "arch"), lambda: resolve(entry.spec)) is not None

    def stages(self, stages: Stages, path: KeyPath, labels: list[str] | None) -> None:
        """The stages written at `path`: teachers, pruning methods, protocols, devices."""
        teacher = stages.train.teacher if stages.train else None
        if teacher is not None and labels is not None and teacher not in labels:
            self.problems.append(
                Problem(
                    (*path, "train", "teacher"),
                    f"expected the teacher to be an entry of the study ({', '.join(labels)}), "
                    f"received {teacher!r}",
                )
            )
        earlier: list[str] = []
        for position, prune_stage in enumerate(stages.prune):
            self.prune(prune_stage, (*path, "prune", position), earlier)
            if prune_stage.name is not None:
                earlier.append(prune_stage.name)
        if stages.bench is not None:
            bench = stages.bench
            protocol_path = (*path, "bench", "protocol")
            if isinstance(bench.protocol, str) or self.keys_known(
                bench.protocol, protocol_path, Protocol
            ):
                self.attempt(protocol_path, bench.resolved_protocol)
            if self.machine is not None:
                inventory = self.machine.inventory
                for position, device in enumerate(bench.devices):
                    self.attempt(
                        (*path, "bench", "devices", position), partial(inventory.get, device)
                    )

    def prune(self, stage: PruneStage, path: KeyPath, earlier: list[str]) -> None:
        """A prune stage: its method and settings, the recipes of what follows it, and the
        earlier stage of the same list it starts from (`earlier`: their names)."""
        from thesislab.prune.methods import get_method
        from thesislab.train.recipe import FINE_TUNING

        method = self.attempt((*path, "method"), lambda: get_method(stage.method))
        settings_path = (*path, "settings")
        if method is not None and self.keys_known(stage.settings, settings_path, method.settings):
            self.attempt(settings_path, lambda: method.validate(stage.settings))
        fine_tuning = stage.fine_tune_recipe
        base = {} if PRESET_KEY in fine_tuning else FINE_TUNING
        self.recipe(fine_tuning, (*path, "fine_tune_recipe"), base)
        self.recipe(stage.retrain_recipe, (*path, "retrain_recipe"), {})
        if stage.start is not None and stage.start not in earlier:
            self.problems.append(
                Problem(
                    (*path, "start"),
                    f"expected the name of an earlier prune stage of the list "
                    f"({', '.join(earlier) or 'none has a name'}), received {stage.start!r}",
                )
            )

    def retraining(self, entry: Entry, stages: Stages, path: KeyPath) -> None:
        """That the parameters each prune stage retrains the entry's network with (the stages
        at `path`) keep its prunable layers."""
        from thesislab.prune.run import retrained_architecture

        for position, stage in enumerate(stages.prune):
            if stage.retrain_params:
                self.attempt(
                    (*path, "prune", position, "retrain_params"),
                    partial(retrained_architecture, entry.spec, stage.retrain_params),
                )

    def inputs(self, stages: Stages, label: str, path: KeyPath) -> None:
        """That each stage of an entry (its own and those it inherits) has its input."""
        rules = [
            (
                stages.train is not None and stages.untrained is not None,
                "expected 'train' or 'untrained', received both",
            ),
            (
                stages.train is None and bool(stages.prune),
                "prune needs a trained model: add 'train'",
            ),
            (
                stages.train is None and stages.untrained is None and stages.convert is not None,
                "convert needs a model: add 'train' or 'untrained'",
            ),
            (
                stages.bench is not None and stages.convert is None,
                "bench needs artifacts to measure: add 'convert'",
            ),
            (
                stages.train is not None and stages.train.teacher == label,
                "an entry cannot be its own teacher",
            ),
        ]
        self.problems.extend(Problem(path, message) for broken, message in rules if broken)

    def study(self, parts: _Parts) -> None:
        recipe = parts.recipe
        if recipe is not None and not self.recipe(recipe, ("recipe",), {}):
            recipe = None
        if parts.data is not None:
            self.data(parts.data)
        if parts.defaults is not None:
            self.stages(parts.defaults.stages, ("defaults", "stages"), parts.labels)
        seen: set[str] = set()
        for position, entry, complete in parts.entries:
            path: KeyPath = ("architectures", position)
            readable = self.architecture(entry, path)
            if entry.label in seen:
                self.problems.append(
                    Problem(
                        (*path, "name" if entry.name else "arch"),
                        f"the name {entry.label!r} is used by several entries: expected a "
                        "'name' of its own",
                    )
                )
            seen.add(entry.label)
            if entry.recipe and recipe is not None:
                self.recipe(entry.recipe, (*path, "recipe"), recipe)
            elif entry.recipe:
                self.keys_known(entry.recipe, (*path, "recipe"), Recipe)
            if entry.stages is not None:
                self.stages(entry.stages, (*path, "stages"), parts.labels)
            if complete and parts.defaults is not None and parts.complete_defaults:
                where = (*path, "stages") if entry.stages is not None else path
                merged = merged_stages(parts.defaults, entry)
                self.inputs(merged, entry.label, where)
                if readable:
                    own = entry.stages is not None and "prune" in entry.stages.model_fields_set
                    prune_path = (*path, "stages") if own else ("defaults", "stages")
                    self.retraining(entry, merged, prune_path)


def parse_study(
    data: Any, origin: str = "study", machine: Machine | None = None, places: Places | None = None
) -> Study:
    """The study `data` describes, or a `StudyError` with every problem of it, each placed in
    the file `origin` (at its line, where `places` knows the file's lines)."""
    checker = _Checker(machine)
    study: Study | None = None
    try:
        study = Study.model_validate(data)
    except pydantic.ValidationError as error:
        checker.problems.extend(validation_problems(error, data, Study))
    if study is not None:
        checker.study(_Parts.of(study))
    elif isinstance(data, Mapping):
        checker.study(_Parts.valid_in(data))
    if checker.problems:
        located = places or Places(None)
        ordered = sorted(checker.problems, key=lambda problem: document_order(data, problem.path))
        raise StudyError(origin, [located.describe(origin, problem) for problem in ordered])
    assert study is not None
    return study


def load_study(path: Path, machine: Machine | None = None, data: str | None = None) -> Study:
    """Read and check `experiments/<study>.yaml` (see `parse_study`); `data` replaces the
    study's data source."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ThesislabError(f"cannot read study {path}: {error.strerror}") from None
    try:
        content, places = Places.parse(text)
    except yaml.YAMLError as error:
        raise ThesislabError(f"{path}: not valid YAML: {str(error).splitlines()[0]}") from None
    if data is not None and isinstance(content, dict):
        content = {**content, "data": data}
    return parse_study(content, str(path), machine, places)
