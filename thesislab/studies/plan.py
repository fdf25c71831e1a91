"""Planning: a study becomes stage jobs with dependencies, each keyed by a hash of its inputs.

Every model an entry produces (trained, pruned, fine-tuned, retrained) is converted to each
quantization; one bench job per entry, seed and device then measures all of those artifacts
together, in the protocol's shuffled passes, as the thesis measured its models.

A job's parameters are its stage's model (`jobs`), and its key hashes them with its stage and
the keys of the jobs it depends on; a bench job holds its protocol resolved, every field of its
preset given, so that a changed preset changes the key.

A pruned network is retrained from scratch with the recipe that trained its parent (the training
job's recipe and seed, distillation aside), on every training image (`validation_size` 0), as the
thesis retrained its pruned networks, with the stage's overrides (`retrain_recipe`, and
`retrain_params` for the network); the retrained model's record holds that recipe. A prune stage
that names an earlier one as its `start` prunes that stage's pruned model, for the same seed.
"""

from __future__ import annotations

from collections.abc import Iterator

from thesislab.studies.jobs import (
    BenchParams,
    ConvertParams,
    FineTuneParams,
    Job,
    PruneParams,
    RetrainParams,
    TrainParams,
    UntrainedParams,
)
from thesislab.studies.spec import ConvertStage, Entry, PruneStage, Study
from thesislab.train.recipe import retraining_recipe


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
        stage = self.study.stages_of(entry).train
        assert stage is not None
        params = TrainParams(
            name=entry.label,
            arch=entry.spec,
            recipe=self.study.recipe_of(entry),
            seed=seed,
            data=self.study.data,
        )
        deps: tuple[str, ...] = ()
        if stage.teacher is not None:
            teacher_entry = next(e for e in self.study.architectures if e.label == stage.teacher)
            deps = (self.train(teacher_entry, seed).key,)
            distillation = {"kd_lambda": stage.kd_lambda, "temperature": stage.temperature}
            params = params.model_copy(update=distillation)
        job = self.add(Job.of(f"train {entry.label} seed {seed}", params, deps))
        self.train_keys[(entry.label, seed)] = job.key
        return job

    def prune(
        self, entry: Entry, seed: int, trained: Job, start: Job, stage: PruneStage
    ) -> Iterator[Job]:
        """Pruning jobs of the model of `start` (the trained one, or an earlier stage's pruned
        one) towards each target, then fine-tuning and retraining from scratch."""
        for target in stage.targets:
            budget = target.model_dump(exclude_none=True)
            shown = ", ".join(f"{k}={v}" for k, v in budget.items())
            label = f"{entry.label} seed {seed} {stage.method} ({shown})"
            if stage.name is not None:
                label = f"{stage.name} seed {seed}"
            data = self.study.data
            params = PruneParams(
                method=stage.method,
                target=budget,
                settings=stage.settings,
                data=data,
                name=stage.name,
            )
            pruned = self.add(Job.of(f"prune {label}", params, (start.key,)))
            yield pruned
            if stage.fine_tune:
                recipe = {**stage.fine_tune_recipe, "seed": seed}
                fine_tuning = FineTuneParams(recipe=recipe, data=data)
                yield self.add(Job.of(f"fine-tune {label}", fine_tuning, (pruned.key,)))
            if stage.retrain:
                trained_with = trained.params_of(TrainParams).recipe_with_seed
                retraining = RetrainParams(
                    recipe=retraining_recipe(trained_with, stage.retrain_recipe),
                    data=data,
                    arch_params=stage.retrain_params,
                )
                yield self.add(Job.of(f"retrain {label}", retraining, (pruned.key,)))

    def untrained(self, entry: Entry, seed: int) -> Job:
        """The job recording `entry` built with random weights drawn from `seed`."""
        params = UntrainedParams(name=entry.label, arch=entry.spec, seed=seed)
        return self.add(Job.of(f"untrained {entry.label} seed {seed}", params))

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
                named: dict[str, Job] = {}
                for prune_stage in stages.prune:
                    start = trained if prune_stage.start is None else named[prune_stage.start]
                    made = list(self.prune(entry, seed, trained, start, prune_stage))
                    if prune_stage.name is not None:
                        named[prune_stage.name] = made[0]
                    models.extend(made)
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
            protocol = stages.bench.resolved_protocol()
            for device in stages.bench.devices:
                params = BenchParams(device=device, protocol=protocol)
                label = f"bench {entry.label} seed {seed} on {device}"
                self.add(Job.of(label, params, deps, device=device))

    def convert(self, model_job: Job, quantization: str, stage: ConvertStage) -> Job:
        """The conversion of one model to one quantization (the stage's int8 input and output
        are full int8's alone)."""
        params = ConvertParams(
            quantization=quantization,
            representative_size=stage.representative_size,
            data=self.study.data,
        )
        if quantization == "int8":
            params = params.model_copy(update={"int8_io": stage.int8_io})
        label = f"convert {quantization} <- {model_job.label}"
        return self.add(Job.of(label, params, (model_job.key,)))


def plan(study: Study) -> list[Job]:
    """Every job of the study, each after the jobs it depends on."""
    planner = _Planner(study)
    for entry in study.architectures:
        planner.entry(entry)
    return list(planner.jobs.values())
