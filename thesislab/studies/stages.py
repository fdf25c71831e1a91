"""Stage functions: what each kind of job does, by calling the package that owns the stage.

Every function takes the job, the results of the jobs it depends on and the results directory,
writes its records there, and returns their ids with named outputs (`model_id`, `artifact_id`)
for the jobs after it. Each is idempotent: the training, conversion and pruning packages find
their own finished work, so a job retried or restarted redoes nothing already stored.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from thesislab.errors import ThesislabError
from thesislab.models.spec import ArchSpec
from thesislab.store import Store
from thesislab.studies.executors import StageFunction
from thesislab.studies.jobs import (
    BenchParams,
    ConvertParams,
    FollowUpParams,
    Job,
    JobStage,
    PruneParams,
    RetrainParams,
    TrainParams,
    UntrainedParams,
)
from thesislab.studies.ledger import JobResult

SAMPLE_TRAIN_IMAGES = 4_000
CIFAR10_TRAIN_IMAGES = 50_000
CPU_TRAINING_MACS_PER_S = 2.0e10
"""Forward + backward multiply-accumulates per second this CPU sustains when training (measured
on WRN-16-2: 101 M MACs x 3 x ~65 images/s)."""


def _model_result(identifier: str) -> JobResult:
    return JobResult((identifier,), (("model_id", identifier),))


def train_stage(job: Job, inputs: list[JobResult], results_dir: Path) -> JobResult:
    """Train (or distil) the entry's architecture with the study recipe and the job's seed."""
    from thesislab.data import load_data
    from thesislab.train.recipe import load_recipe
    from thesislab.train.run import train_model

    params = job.params_of(TrainParams)
    distillation = None
    if params.kd_lambda is not None:
        distillation = {
            "teacher_id": inputs[0].output("model_id"),
            "kd_lambda": params.kd_lambda,
            "temperature": params.temperature,
        }
    recipe = load_recipe(None, **params.recipe_with_seed, distillation=distillation)
    result = train_model(params.arch, recipe, load_data(params.data), results_dir, name=params.name)
    return _model_result(result.record_id)


def untrained_stage(job: Job, inputs: list[JobResult], results_dir: Path) -> JobResult:
    """Record the entry's architecture with random weights drawn from the job's seed."""
    from thesislab.deploy.untrained import untrained_model

    params = job.params_of(UntrainedParams)
    store = Store(results_dir)
    return _model_result(untrained_model(store, params.arch, name=params.name, seed=params.seed))


def convert_stage(job: Job, inputs: list[JobResult], results_dir: Path) -> JobResult:
    """Convert the input model to one TFLite variant and record its test accuracy."""
    from thesislab.deploy.artifacts import deploy_data, make_artifacts
    from thesislab.deploy.convert import parse_variants

    params = job.params_of(ConvertParams)
    store = Store(results_dir)
    model_id = inputs[0].output("model_id")
    data = deploy_data(
        store,
        model_id,
        source=params.data,
        representative_size=params.representative_size if params.quantization == "int8" else 0,
    )
    variants = parse_variants(params.quantization, params.int8_io)
    [(artifact_id, _)] = make_artifacts(store, model_id, variants, data)
    return JobResult((artifact_id,), (("artifact_id", artifact_id),))


def bench_stage(job: Job, inputs: list[JobResult], results_dir: Path) -> JobResult:
    """Measure the input artifacts on one device, in the protocol's shuffled passes, with the
    latency the device's lookup table predicts where there is one. An artifact already measured
    there under the protocol (by a run of this job that was stopped) keeps its measurement, so
    a job's measurements are never written twice."""
    from thesislab.bench.devices import Inventory
    from thesislab.bench.measure import bench, recorded_measurements
    from thesislab.latency.table import predict_artifacts

    params = job.params_of(BenchParams)
    store = Store(results_dir)
    artifact_ids = [converted.output("artifact_id") for converted in inputs]
    measured = {
        artifact: identifier
        for artifact, (identifier, _) in recorded_measurements(
            store, artifact_ids, params.device, params.protocol
        ).items()
    }
    missing = [artifact for artifact in artifact_ids if artifact not in measured]
    if missing:
        outcome = bench(
            store,
            missing,
            Inventory.load().get(params.device),
            params.protocol,
            predicted_latency_ms=predict_artifacts(store, missing, params.device),
        )
        if outcome.failures:
            refused = "; ".join(f"{key[:12]}: {reason}" for key, reason in outcome.failures.items())
            raise ThesislabError(
                f"{len(outcome.failures)} of {len(artifact_ids)} artifacts could not be measured "
                f"on {params.device}: {refused}"
            )
        measured |= {record.artifact_id: identifier for identifier, record in outcome.measurements}
    return JobResult(tuple(measured[artifact] for artifact in artifact_ids), ())


def prune_stage(job: Job, inputs: list[JobResult], results_dir: Path) -> JobResult:
    """Prune the input model with the job's method towards its target."""
    from thesislab.prune.run import prune_model

    params = job.params_of(PruneParams)
    return _model_result(
        prune_model(
            results_dir,
            inputs[0].output("model_id"),
            params.method,
            params.target,
            params.settings,
            params.data,
            name=params.name,
        )
    )


def follow_up_stage(job: Job, inputs: list[JobResult], results_dir: Path) -> JobResult:
    """Train a pruned network on with the job's recipe: its inherited weights (`fine_tuned`), or
    its architecture from scratch with the recipe that trained its parent (`retrained`)."""
    from thesislab.prune.run import train_pruned

    params = job.params_of(FollowUpParams)
    pruned_id = inputs[0].output("model_id")
    arch_params = params.arch_params if isinstance(params, RetrainParams) else None
    return _model_result(
        train_pruned(
            results_dir, pruned_id, params.stage, params.recipe, params.data, params=arch_params
        )
    )


STAGE_FUNCTIONS: dict[JobStage, StageFunction] = {
    "trained": train_stage,
    "untrained": untrained_stage,
    "pruned": prune_stage,
    "fine_tuned": follow_up_stage,
    "retrained": follow_up_stage,
    "convert": convert_stage,
    "bench": bench_stage,
}


@cache
def _training_macs(arch_json: str) -> int:
    from thesislab.models.counting import count_spec

    return count_spec(ArchSpec.model_validate_json(arch_json)).macs


def estimate_seconds(job: Job) -> float:
    """A rough compute estimate of a job on this machine's CPU, for `run --dry-run`."""
    from thesislab.train.recipe import load_recipe

    params = job.params
    if isinstance(params, TrainParams):
        images = SAMPLE_TRAIN_IMAGES if params.data == "sample" else CIFAR10_TRAIN_IMAGES
        epochs = load_recipe(None, **params.recipe).epochs
        macs = _training_macs(params.arch.model_dump_json())
        return 3 * macs * images * epochs / CPU_TRAINING_MACS_PER_S
    if isinstance(params, BenchParams):
        return 5.0 * len(job.deps)
    if isinstance(params, UntrainedParams):
        return 1.0
    return 20.0
