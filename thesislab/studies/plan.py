"""Planning: a study becomes stage jobs with dependencies, each keyed by a hash of its inputs.

Every model an entry produces (trained, pruned, fine-tuned, retrained) is converted to each
quantization; one bench job per entry, seed and device then measures all of those artifacts
together, in the protocol's shuffled passes, as the thesis measured its models.

The key of a job hashes its stage, its parameters and the keys of the jobs it depends on, so a
job's key changes exactly when something that feeds it changes, and an unchanged job is found
done in the ledger and skipped.

A pruned network is retrained from scratch with the recipe that trained its parent (the training
job's recipe and seed, distillation aside), on every training image (`validation_size` 0), as the
thesis retrained its pruned networks; the retrained model's record holds that recipe.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from thesislab.keys import SPACED, content_key
from thesislab.studies.spec import ConvertStage, Entry, PruneStage, Study
from thesislab.train.recipe import retraining_recipe

StageName = Literal["train", "untrained", "prune", "fine_tune", "retrain", "convert", "bench"]
MODEL_STAGES: frozenset[str] = frozenset({"train", "untrained", "prune", "fine_tune", "retrain"})


@dataclass(frozen=True)
class Job:
    """One unit of work: a stage applied to the outputs of the jobs it depends on."""

    key: str
    stage: StageName
    label: str
    params: dict[str, Any]
    deps: tuple[str, ...] = ()
    device: str | None = field(default=None, metadata={"doc": "Device locked while it runs."})


def job_key(stage: str, params: dict[str, Any], deps: tuple[str, ...]) -> str:
    """The hash of everything that determines a job's result."""
    return content_key({"stage": stage, "params": params, "deps": list(deps)}, 16, SPACED)


def retraining_recipe_of(trained: Job) -> dict[str, Any]:
    """The recipe of retraining a network pruned from the model of the training job `trained`
    (`recipe.retraining_recipe` of the recipe and seed that trained it)."""
    return retraining_recipe({**trained.params["recipe"], "seed": trained.params["seed"]})


def _job(
    stage: StageName, label: str, params: dict[str, Any], deps: tuple[str, ...] = (), **extra: Any
) -> Job:
    return Job(job_key(stage, params, deps), stage, label, params, deps, **extra)


class _Planner:
    def __init__(self, study: Study) -> None:
        self.study = study
        self.jobs: dict[str, Job] = {}
        self.train_keys: dict[tuple[str, int], str] = {}

    def add(self, job: Job) -> Job:
        self.jobs.setdefault(job.key, job)
        return job

    def train(self, entry: Entry, seed: int) -> Job:
        """The training job of `entry` and `seed` (its teacher's first)."""
        known = self.train_keys.get((entry.label, seed))
        if known is not None:
            return self.jobs[known]
        stages = self.study.stages_of(entry)
        assert stages.train is not None
        params: dict[str, Any] = {
            "name": entry.label,
            "arch": entry.spec.model_dump(mode="json"),
            "recipe": self.study.recipe_of(entry),
            "seed": seed,
            "data": self.study.data,
        }
        deps: tuple[str, ...] = ()
        if stages.train.teacher is not None:
            teacher_entry = next(
                e for e in self.study.architectures if e.label == stages.train.teacher
            )
            teacher = self.train(teacher_entry, seed)
            deps = (teacher.key,)
            params["kd_lambda"] = stages.train.kd_lambda
            params["kd_temperature"] = stages.train.kd_temperature
        job = self.add(_job("train", f"train {entry.label} seed {seed}", params, deps))
        self.train_keys[(entry.label, seed)] = job.key
        return job

    def prune(self, entry: Entry, seed: int, trained: Job, stage: PruneStage) -> Iterator[Job]:
        """Pruning jobs towards each target, then fine-tuning and retraining from scratch."""
        for target in stage.targets:
            budget = target.model_dump(exclude_none=True)
            shown = ", ".join(f"{k}={v}" for k, v in budget.items())
            label = f"{entry.label} seed {seed} {stage.method} ({shown})"
            params = {
                "method": stage.method,
                "target": budget,
                "settings": stage.settings,
                "data": self.study.data,
            }
            if stage.name is not None:
                params["name"] = stage.name
                label = f"{stage.name} seed {seed}"
            pruned = self.add(_job("prune", f"prune {label}", params, (trained.key,)))
            yield pruned
            data = self.study.data
            if stage.fine_tune:
                recipe = {**stage.fine_tune_recipe, "seed": seed}
                params = {"recipe": recipe, "data": data}
                yield self.add(_job("fine_tune", f"fine-tune {label}", params, (pruned.key,)))
            if stage.retrain:
                params = {"recipe": retraining_recipe_of(trained), "data": data}
                yield self.add(_job("retrain", f"retrain {label}", params, (pruned.key,)))

    def untrained(self, entry: Entry, seed: int) -> Job:
        """The job recording `entry` built with random weights drawn from `seed`."""
        params = {"name": entry.label, "arch": entry.spec.model_dump(mode="json"), "seed": seed}
        return self.add(_job("untrained", f"untrained {entry.label} seed {seed}", params))

    def entry(self, entry: Entry) -> None:
        stages = self.study.stages_of(entry)
        if stages.train is None and stages.untrained is None:
            return
        for seed in self.study.seeds_of(entry):
            if stages.train is None:
                models = [self.untrained(entry, seed)]
            else:
                trained = self.train(entry, seed)
                models = [trained]
                for prune_stage in stages.prune:
                    models.extend(self.prune(entry, seed, trained, prune_stage))
            if stages.convert is None:
                continue
            conversions = [
                self.convert(model_job, quantization, stages.convert)
                for model_job in models
                for quantization in stages.convert.quantization
            ]
            if stages.bench is None:
                continue
            deps = tuple(job.key for job in conversions)
            for device in stages.bench.devices:
                params = {"device": device, "protocol": stages.bench.protocol}
                label = f"bench {entry.label} seed {seed} on {device}"
                self.add(_job("bench", label, params, deps, device=device))

    def convert(self, model_job: Job, quantization: str, stage: ConvertStage) -> Job:
        """The conversion of one model to one quantization."""
        params = {
            "quantization": quantization,
            "representative_size": stage.representative_size,
            "data": self.study.data,
        }
        label = f"convert {quantization} <- {model_job.label}"
        return self.add(_job("convert", label, params, (model_job.key,)))


def plan(study: Study) -> list[Job]:
    """Every job of the study, each after the jobs it depends on."""
    planner = _Planner(study)
    for entry in study.architectures:
        planner.entry(entry)
    return list(planner.jobs.values())
