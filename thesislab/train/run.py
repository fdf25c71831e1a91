"""A training run, from architecture, recipe and data to a stored model record.

`train_model` is idempotent and resumable. A run is identified by its run key, a hash of the
resolved architecture, the recipe (seed and teacher included) and the data fingerprint:

- a model record with that key already in the results directory: nothing is trained, its id is
  returned;
- a checkpoint ``RESULTS/checkpoints/<key>.npz``: training continues after its last epoch;
- otherwise training starts from scratch.

At the end the network is saved as ``RESULTS/files/models/<key>.keras`` and the record written;
then the checkpoint is deleted. Each of these writes is atomic, so the process may be killed at any
moment and the same call finishes the job.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from thesislab.data import ImageData
from thesislab.errors import ThesislabError
from thesislab.models.names import format_name
from thesislab.models.spec import ArchSpec
from thesislab.records import Dataset, Lineage, ModelRecord, record_id
from thesislab.store import Store
from thesislab.train.recipe import Recipe

CHECKPOINTS_DIR = "checkpoints"
MODELS_DIR = "models"


def run_key(
    architecture: ArchSpec,
    recipe: dict[str, Any],
    fingerprint: str | None,
    lineage: Lineage | None = None,
) -> str:
    """The key of a run: a hash of what decides its result (architecture, recipe, data) and,
    for a network with a history (a pruned architecture retrained, ...), its lineage."""
    inputs: dict[str, Any] = {
        "architecture": architecture.model_dump(mode="json"),
        "recipe": recipe,
        "data": fingerprint,
    }
    if lineage is not None and lineage.stage != "trained":
        inputs["lineage"] = lineage.model_dump(mode="json")
    text = json.dumps(inputs, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def record_run_key(record: ModelRecord) -> str:
    """The run key of a stored model record."""
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
    teacher = store.get(recipe.distillation.teacher_id)
    if not isinstance(teacher, ModelRecord) or teacher.weights_path is None:
        raise ThesislabError(
            f"teacher {recipe.distillation.teacher_id!r}: expected a model record with weights, "
            f"found a {teacher.kind} record{'' if teacher.kind != 'model' else ' without weights'}"
        )
    distillation = recipe.distillation.model_copy(update={"teacher_id": record_id(teacher)})
    return recipe.model_copy(
        update={"distillation": distillation}
    ), store.root / teacher.weights_path


def train_model(
    spec: ArchSpec,
    recipe: Recipe,
    data: ImageData,
    results: Path,
    *,
    name: str | None = None,
    console: Console | None = None,
    lineage: Lineage | None = None,
) -> TrainResult:
    """Train `spec` on `data` with `recipe` into `results` (see the module docstring).

    `lineage` places the run in a network's history, e.g. a pruned architecture retrained from
    scratch (stage `retrained`, its parent and pruning method); the default is a plain run.
    """
    from thesislab.models.counting import count
    from thesislab.train.engine import make_engine
    from thesislab.train.environment import accelerator, environment
    from thesislab.train.loop import accuracy, fit
    from thesislab.train.network import architecture, build_network, load_network, save_network

    console = console or Console()
    store = Store(results)
    recipe, teacher_path = _teacher(store, recipe)
    if recipe.precision == "auto":
        recipe = recipe.model_copy(update={"precision": "bfloat16" if accelerator() else "float32"})
    resolved = architecture(spec, recipe)
    lineage = lineage or Lineage()
    key = run_key(resolved, recipe.model_dump(mode="json"), data.fingerprint, lineage)
    existing = find_run(store, key)
    if existing is not None:
        record = store.get(existing)
        assert isinstance(record, ModelRecord)
        return TrainResult(existing, record, trained=False)

    if recipe.validation_size:
        train, validation = data.holdout(recipe.validation_size)
    else:
        train, validation = data.train, None
    model = build_network(resolved, recipe, mixed_precision=recipe.precision == "bfloat16")
    teacher = load_network(teacher_path) if teacher_path is not None else None
    steps_per_epoch = len(train) // recipe.batch_size
    engine = make_engine(model, teacher, recipe, train, steps_per_epoch)
    checkpoint_path = store.root / CHECKPOINTS_DIR / f"{key}.npz"
    done = fit(engine, recipe, train, validation, checkpoint_path, console)
    engine.sync_model()

    weights = store.files_dir() / MODELS_DIR / f"{key}.keras"
    save_network(model, weights)
    counted = count(model.layers[-1])
    record = ModelRecord(
        name=name or format_name(resolved),
        architecture=resolved,
        recipe=recipe.model_dump(mode="json"),
        seed=recipe.seed,
        dataset=Dataset(name=data.name, fingerprint=data.fingerprint),
        lineage=lineage.model_copy(
            update={
                "teacher_id": recipe.distillation.teacher_id if recipe.distillation else None,
                "distilled": recipe.distillation is not None,
            }
        ),
        accuracy=accuracy(engine, data.test, recipe.batch_size),
        validation_accuracy=done.history[-1].validation_accuracy,
        params=counted.params,
        macs=counted.macs,
        epochs=done.epoch,
        training_time_s=done.seconds,
        images_per_s=done.images / done.step_seconds,
        history=done.history,
        weights_path=weights.relative_to(store.root).as_posix(),
        created_at=datetime.now(UTC),
        environment=environment(),
    )
    identifier = store.write(record)
    checkpoint_path.unlink(missing_ok=True)
    return TrainResult(identifier, record, trained=True)
