"""Stage functions: what each kind of job does, by calling the package that owns the stage.

Every function takes the job, the results of the jobs it depends on and the results directory,
writes its records there, and returns their ids with named outputs (`model_id`, `artifact_id`)
for the jobs after it. Each is idempotent: the training, conversion and pruning packages find
their own finished work, so a job retried or restarted redoes nothing already stored.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from thesislab.errors import ThesislabError
from thesislab.models.spec import ArchSpec
from thesislab.store import Store
from thesislab.studies.executors import StageFunction
from thesislab.studies.ledger import JobResult
from thesislab.studies.plan import Job

if TYPE_CHECKING:
    from thesislab.prune.run import FollowUp

SAMPLE_TRAIN_IMAGES = 4_000
CIFAR10_TRAIN_IMAGES = 50_000
CPU_TRAINING_MACS_PER_S = 2.0e10
"""Forward + backward multiply-accumulates per second this CPU sustains when training (measured
on WRN-16-2: 101 M MACs x 3 x ~65 images/s)."""


def _model_result(identifier: str) -> JobResult:
    return JobResult((identifier,), (("model_id", identifier),))


def _train(job: Job, spec: ArchSpec, inputs: list[JobResult], results_dir: Path) -> str:
    from thesislab.data import load_data
    from thesislab.train.recipe import load_recipe
    from thesislab.train.run import train_model

    params = job.params
    distillation = None
    if "kd_lambda" in params:
        distillation = {
            "teacher_id": inputs[0].output("model_id"),
            "kd_lambda": params["kd_lambda"],
            "temperature": params["kd_temperature"],
        }
    recipe = load_recipe(None, **params["recipe"], seed=params["seed"], distillation=distillation)
    result = train_model(
        spec, recipe, load_data(params["data"]), results_dir, name=params.get("name")
    )
    return result.record_id


def train_stage(job: Job, inputs: list[JobResult], results_dir: Path) -> JobResult:
    """Train (or distil) the entry's architecture with the study recipe and the job's seed."""
    spec = ArchSpec.model_validate(job.params["arch"])
    return _model_result(_train(job, spec, inputs, results_dir))


def untrained_stage(job: Job, inputs: list[JobResult], results_dir: Path) -> JobResult:
    """Record the entry's architecture with random weights drawn from the job's seed."""
    from thesislab.deploy.untrained import untrained_model

    spec = ArchSpec.model_validate(job.params["arch"])
    params = job.params
    return _model_result(
        untrained_model(Store(results_dir), spec, name=params["name"], seed=params["seed"])
    )


def convert_stage(job: Job, inputs: list[JobResult], results_dir: Path) -> JobResult:
    """Convert the input model to one TFLite variant and record its test accuracy."""
    from thesislab.deploy.artifacts import deploy_data, make_artifacts
    from thesislab.deploy.convert import parse_variants

    store = Store(results_dir)
    model_id = inputs[0].output("model_id")
    quantization = job.params["quantization"]
    data = deploy_data(
        store,
        model_id,
        source=job.params["data"],
        representative_size=job.params["representative_size"] if quantization == "int8" else 0,
    )
    [(artifact_id, _)] = make_artifacts(store, model_id, parse_variants(quantization, "int8"), data)
    return JobResult((artifact_id,), (("artifact_id", artifact_id),))


def bench_stage(job: Job, inputs: list[JobResult], results_dir: Path) -> JobResult:
    """Measure all the input artifacts on one device, in the protocol's shuffled passes, with
    the latency the device's lookup table predicts where there is one."""
    from thesislab.bench.devices import Inventory
    from thesislab.bench.measure import bench
    from thesislab.latency.table import predict_artifacts
    from thesislab.studies.spec import protocol_of

    store = Store(results_dir)
    device = job.params["device"]
    artifact_ids = [converted.output("artifact_id") for converted in inputs]
    outcome = bench(
        store,
        artifact_ids,
        Inventory.load().get(device),
        protocol_of(job.params["protocol"]),
        predicted_ms=predict_artifacts(store, artifact_ids, device),
    )
    if outcome.failures:
        refused = "; ".join(f"{key[:12]}: {reason}" for key, reason in outcome.failures.items())
        raise ThesislabError(
            f"{len(outcome.failures)} of {len(artifact_ids)} artifacts could not be measured "
            f"on {device}: {refused}"
        )
    return JobResult(tuple(identifier for identifier, _ in outcome.measurements), ())


def prune_stage(job: Job, inputs: list[JobResult], results_dir: Path) -> JobResult:
    """Prune the input model with the job's method towards its target."""
    from thesislab.prune.run import prune_model

    params = job.params
    return _model_result(
        prune_model(
            results_dir,
            inputs[0].output("model_id"),
            params["method"],
            params["target"],
            params["settings"],
            params["data"],
            name=params.get("name"),
        )
    )


def follow_up_stage(stage: FollowUp) -> StageFunction:
    """The stage function that trains a pruned network's `stage` with the job's recipe: its
    inherited weights on (`fine_tuned`), or its architecture from scratch with the recipe that
    trained its parent (`retrained`, see `plan.retraining_recipe_of`)."""

    def run(job: Job, inputs: list[JobResult], results_dir: Path) -> JobResult:
        from thesislab.prune.run import train_pruned

        pruned_id = inputs[0].output("model_id")
        recipe, data = job.params["recipe"], job.params["data"]
        return _model_result(train_pruned(results_dir, pruned_id, stage, recipe, data))

    return run


STAGE_FUNCTIONS: dict[str, StageFunction] = {
    "train": train_stage,
    "untrained": untrained_stage,
    "prune": prune_stage,
    "fine_tune": follow_up_stage("fine_tuned"),
    "retrain": follow_up_stage("retrained"),
    "convert": convert_stage,
    "bench": bench_stage,
}


@cache
def _training_macs(arch_json: str) -> int:
    from thesislab.models.counting import count_spec

    return count_spec(ArchSpec.model_validate_json(arch_json)).macs


def estimate_seconds(job: Job) -> float:
    """A rough compute estimate of a job on this machine's CPU, for `run --dry-run`."""
    params: dict[str, Any] = job.params
    if job.stage in {"train", "retrain"} and "arch" in params:
        images = SAMPLE_TRAIN_IMAGES if params["data"] == "sample" else CIFAR10_TRAIN_IMAGES
        epochs = int(params["recipe"].get("epochs", 200))
        macs = _training_macs(ArchSpec.model_validate(params["arch"]).model_dump_json())
        return 3 * macs * images * epochs / CPU_TRAINING_MACS_PER_S
    if job.stage == "bench":
        return 5.0 * len(job.deps)
    if job.stage == "untrained":
        return 1.0
    return 20.0
