"""A training run, from architecture, recipe and data to a stored model record.

`train_model` writes every trained model record: a network trained from scratch, distilled from
a teacher, retrained after pruning, or fine-tuned from the weights of another model record
(`initial_weights`, which the record's recipe then names). It is idempotent and resumable. A run
is identified by its run key, a hash of the resolved architecture, the recipe (seed, teacher and
initial weights included), the data fingerprint and, for a network with a history, its lineage:

- a model record with that key already in the results directory: nothing is trained, its id is
  returned;
- a checkpoint ``RESULTS/checkpoints/<key>.npz``: training continues after its last epoch;
- otherwise training starts at its first epoch.

At the end the network is saved as ``RESULTS/files/models/<key>.keras`` and the record written;
then the checkpoint is deleted. Each of these writes is atomic, so the process may be killed at any
moment and the same call finishes the job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from thesislab.errors import ThesislabError
from thesislab.keys import content_key
from thesislab.models.names import format_name
from thesislab.models.registry import resolve
from thesislab.models.spec import ArchSpec
from thesislab.records import (
    Dataset,
    ImportedRecipe,
    Lineage,
    ModelRecord,
    TrainingRecipe,
    recipe_json,
    record_id,
)
from thesislab.store import Store
from thesislab.training_recipe import Recipe

if TYPE_CHECKING:
    import keras

    from thesislab.data import ImageData


def run_key(
    architecture: ArchSpec,
    recipe: TrainingRecipe | ImportedRecipe | None,
    fingerprint: str | None,
    lineage: Lineage | None = None,
) -> str:
    """The key of a run: a hash of what decides its result (architecture, recipe as a record
    holds it, data) and, for a network with a history (a pruned architecture retrained, ...),
    its lineage."""
    inputs: dict[str, Any] = {
        "architecture": architecture.model_dump(mode="json"),
        "recipe": recipe_json(recipe),
        "data": fingerprint,
    }
    if lineage is not None and lineage.stage != "trained":
        inputs["lineage"] = lineage.model_dump(mode="json")
    return content_key(inputs)


def record_run_key(record: ModelRecord) -> str:
    """The run key of a stored model record (its teacher is in its recipe, if it has one)."""
    fingerprint = record.dataset.fingerprint if record.dataset else None
    lineage = record.lineage.model_copy(update={"teacher_id": None, "distilled": False})
    return run_key(record.architecture, record.recipe, fingerprint, lineage)


def find_run(store: Store, key: str) -> str | None:
    """The id of the model record of run `key` in `store`, if there is one."""
    for identifier, record in store.of_kind(ModelRecord).items():
        if record_run_key(record) == key:
            return identifier
    return None


@dataclass(frozen=True)
class TrainResult:
    """The record of a run, and whether this call trained it (False: it already existed)."""

    record_id: str
    record: ModelRecord
    trained: bool


def _teacher(store: Store, recipe: Recipe) -> tuple[Recipe, Path | None]:
    """The recipe with the teacher's full id, and the teacher's weights file."""
    if recipe.distillation is None:
        return recipe, None
    teacher = store.get(recipe.distillation.teacher_id, ModelRecord)
    if teacher.weights_path is None:
        raise ThesislabError(
            f"teacher {recipe.distillation.teacher_id!r}: expected a model record with weights, "
            "found one without weights"
        )
    distillation = recipe.distillation.model_copy(update={"teacher_id": record_id(teacher)})
    weights = store.resolve(teacher.weights_path)
    return recipe.model_copy(update={"distillation": distillation}), weights


def _initial_weights(store: Store, model_id: str, architecture: ArchSpec) -> tuple[str, Path]:
    """The full id and the weights file of the model a run starts from."""
    start = store.get(model_id, ModelRecord)
    if start.weights_path is None or not store.resolve(start.weights_path).is_file():
        raise ThesislabError(
            f"initial weights {model_id!r}: expected a model record with its weights file, "
            f"found {start.weights_path or 'none'}"
        )
    if start.architecture != architecture:
        raise ThesislabError(
            f"initial weights {model_id!r}: expected a model of the architecture to train, "
            f"received one of {start.architecture.model_dump_json()}"
        )
    return record_id(start), store.resolve(start.weights_path)


def _record_lineage(lineage: Lineage, recipe: Recipe, inherited: bool) -> Lineage:
    """The lineage of a run's record: its teacher, if the recipe has one; else, for weights
    trained on from another model, that model's teacher; else none."""
    if recipe.distillation is None and inherited:
        return lineage
    return lineage.model_copy(
        update={
            "teacher_id": recipe.distillation.teacher_id if recipe.distillation else None,
            "distilled": recipe.distillation is not None,
        }
    )


def resolve_precision(recipe: Recipe) -> Recipe:
    """`recipe` with precision `auto` made concrete for this machine: bfloat16 on a GPU, float32
    on a CPU (the precision a run trains in, and its record keeps)."""
    if recipe.precision != "auto":
        return recipe
    from thesislab.train.environment import accelerator

    return recipe.model_copy(update={"precision": "bfloat16" if accelerator() else "float32"})


def _networks(
    spec: ArchSpec, recipe: Recipe, start: Path | None, teacher_path: Path | None
) -> tuple[keras.Model, keras.Model | None]:
    """The network to train (built afresh, or loaded from the weights file `start`) and the
    teacher that distils into it, if any."""
    from thesislab.train.network import build_network, load_network

    if start is None:
        model = build_network(spec, recipe, mixed_precision=recipe.precision == "bfloat16")
    else:
        model = load_network(start)
    teacher = load_network(teacher_path) if teacher_path is not None else None
    return model, teacher


def train_model(
    spec: ArchSpec,
    recipe: Recipe,
    data: ImageData,
    results_dir: Path,
    *,
    name: str | None = None,
    console: Console | None = None,
    lineage: Lineage | None = None,
    initial_weights: str | None = None,
) -> TrainResult:
    """Train `spec` on `data` with `recipe` into `results_dir` (see the module docstring).

    `lineage` places the run in a network's history, e.g. a pruned architecture retrained from
    scratch (stage `retrained`, its parent and pruning method); the default is a plain run.
    `initial_weights`, a model record id, starts from that model's weights (of the same
    architecture) instead of a fresh initialisation.
    """
    from thesislab.train.engine import engine_class
    from thesislab.train.environment import environment
    from thesislab.train.loop import fit
    from thesislab.train.network import network_count, save_network

    console = console or Console()
    store = Store(results_dir)
    recipe, teacher_path = _teacher(store, recipe)
    recipe = resolve_precision(recipe)
    resolved = resolve(spec)
    start_id, start = None, None
    if initial_weights is not None:
        start_id, start = _initial_weights(store, initial_weights, resolved)
    stored_recipe = TrainingRecipe.of(recipe, initial_weights=start_id)
    lineage = _record_lineage(lineage or Lineage(), recipe, inherited=start is not None)
    key = run_key(
        resolved,
        stored_recipe,
        data.fingerprint,
        lineage.model_copy(update={"teacher_id": None, "distilled": False}),
    )
    existing = find_run(store, key)
    if existing is not None:
        record = store.get(existing, ModelRecord)
        return TrainResult(existing, record, trained=False)

    if recipe.validation_size:
        train, validation = data.holdout(recipe.validation_size)
    else:
        train, validation = data.train, None
    model, teacher = _networks(resolved, recipe, start, teacher_path)
    steps_per_epoch = recipe.steps_per_epoch(len(train))
    engine = engine_class()(model, teacher, recipe, train, steps_per_epoch)
    checkpoint_path = store.checkpoint_path(key)
    console.print(
        f"training {name or format_name(resolved)} (seed {recipe.seed}): {recipe.epochs} epochs"
        f" on {len(train)} images"
    )
    done = fit(engine, recipe, train, validation, checkpoint_path, console)
    engine.sync_model()

    weights = store.weights_path(key)
    save_network(model, weights)
    counted = network_count(model)
    record = ModelRecord(
        name=name or format_name(resolved),
        architecture=resolved,
        recipe=stored_recipe,
        seed=recipe.seed,
        dataset=Dataset(name=data.name, fingerprint=data.fingerprint),
        lineage=lineage,
        accuracy=engine.accuracy(data.test),
        validation_accuracy=done.history[-1].validation_accuracy,
        params=counted.params,
        macs=counted.macs,
        epochs=done.epoch,
        training_time_s=done.seconds,
        images_per_s=done.images / done.step_seconds,
        history=done.history,
        weights_path=store.relative(weights),
        created_at=datetime.now(UTC),
        environment=environment(),
    )
    identifier = store.write(record)
    checkpoint_path.unlink(missing_ok=True)
    return TrainResult(identifier, record, trained=True)
