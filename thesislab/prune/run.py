"""Pruning runs as records: prune a stored model, fine-tune the result, retrain its architecture.

Each function reads model records from a results directory, writes one model record there and
returns its id; each is idempotent (a finished run is found by its stage, parent and settings and
returned without recomputing):

- `prune_model`: a method, a target and settings -> the `pruned` model (thinner spec, inherited
  weights, test accuracy right after pruning), linked to its parent and to the method and settings
  (`lineage.pruning`, which also holds the method's history);
- `train_pruned`: the pruned weights trained on -> the `fine_tuned` model, or the pruned
  architecture trained from scratch -> the `retrained` model (its channel counts in another
  block layout where asked, as the thesis retrained its pruned WideResNets).

Both are runs of `train.train_model` (from the pruned weights, or from a fresh initialisation),
which writes their records and finds them again.

A pruned record has no recipe, so that it is never taken for a run of `train_model`; a
fine-tuned record's recipe names the weights it started from (`initial_weights`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from rich.console import Console

from thesislab.errors import ThesislabError
from thesislab.keys import content_key
from thesislab.models.spec import ArchSpec, ParamValue
from thesislab.records import (
    PRUNING_DETAILS,
    Dataset,
    FollowUp,
    ImportedRecipe,
    Lineage,
    ModelRecord,
    Pruning,
    PruningResults,
    record_id,
)
from thesislab.store import Store

if TYPE_CHECKING:
    import keras

    from thesislab.data import Split
    from thesislab.training_recipe import Recipe


def _model(store: Store, model_id: str, needs_weights: bool = True) -> tuple[str, ModelRecord]:
    record = store.get(model_id, ModelRecord)
    if needs_weights and (
        record.weights_path is None or not store.resolve(record.weights_path).is_file()
    ):
        raise ThesislabError(
            f"model {model_id}: expected its weights file {record.weights_path} under "
            f"{store.root}, found none"
        )
    return record_id(record), record


def _trained_with(store: Store, record: ModelRecord) -> Recipe | None:
    """The recipe that trained `record`, or, for a pruned model (which has none), its nearest
    ancestor's: the default one where no record of the line holds a recipe, none for an imported
    one."""
    from thesislab.training_recipe import Recipe

    while record.recipe is None and record.lineage.parent_id is not None:
        record = store.get(record.lineage.parent_id, ModelRecord)
    if isinstance(record.recipe, ImportedRecipe):
        return None
    return record.recipe or Recipe()


def evaluate_accuracy(network: keras.Model, split: Split, batch_size: int = 250) -> float:
    """The fraction of `split` the network classifies correctly."""
    logits = network.predict(split.images.astype(np.float32), batch_size=batch_size, verbose=0)
    return float(np.mean(np.argmax(logits, axis=-1) == split.labels))


def _save(store: Store, network: keras.Model, name: str) -> str:
    from thesislab.train.network import save_network

    path = store.weights_path(name)
    save_network(network, path)
    return store.relative(path)


def _pruned_lineage(
    parent_id: str,
    parent: ModelRecord,
    method: str,
    asked: dict[str, Any],
    results: PruningResults,
) -> Lineage:
    """The lineage of a network pruned from `parent` by `method` with the settings `asked`
    (target included); its results' details must be among the method's `PRUNING_DETAILS`."""
    unknown = sorted(set(results.details) - set(PRUNING_DETAILS.get(method, ())))
    if unknown:
        raise ThesislabError(
            f"{method}: expected details among records.PRUNING_DETAILS, received {unknown}"
        )
    return Lineage(
        stage="pruned",
        parent_id=parent_id,
        teacher_id=parent.lineage.teacher_id,
        distilled=parent.lineage.distilled,
        pruning=Pruning(method=method, settings=asked, results=results),
    )


def prune_model(
    results_dir: Path,
    model_id: str,
    method: str,
    target: dict[str, Any],
    settings: dict[str, Any],
    data_source: str | None = None,
    *,
    name: str | None = None,
    console: Console | None = None,
) -> str:
    """Prune model `model_id` with `method` towards `target` (``{"macs": 0.5}``,
    ``{"latency_ms": 40, "device": "local"}``); returns the pruned model's id. The pruned model
    is named `name`, or by default after its parent, method and target."""
    from thesislab.data import load_images
    from thesislab.models.structure import structure_of
    from thesislab.prune.methods import get_method
    from thesislab.prune.search import Context
    from thesislab.prune.target import Target, make_budget
    from thesislab.prune.weights import thin_network
    from thesislab.train.environment import environment
    from thesislab.train.network import load_network, network_count

    store = Store(results_dir)
    parent_id, parent = _model(store, model_id)
    chosen = get_method(method)
    goal = Target.from_mapping(target)
    options = chosen.validate(settings)
    asked = {"target": goal.as_mapping(), **options.model_dump(mode="json")}
    done = _find_pruned(store, parent_id, method, asked)
    if done is not None:
        return done
    data = load_images(parent, data_source)
    structure = structure_of(parent.architecture)
    widths = structure.check(parent.architecture)
    network = load_network(store.resolve(str(parent.weights_path)))
    budget = make_budget(goal, structure, widths, store.root)
    context = Context(
        parent_id,
        parent.architecture,
        structure,
        widths,
        network,
        _trained_with(store, parent),
        budget,
        data,
        store.root,
        console or Console(),
    )
    started = time.perf_counter()
    outcome = chosen.run(context, options)
    seconds = time.perf_counter() - started
    spec, pruned = thin_network(outcome.network, structure, parent.architecture, outcome.kept)
    final = list(spec.widths or [])
    if outcome.matched and not budget.within(final):
        raise ThesislabError(
            f"{method}: expected a result within {goal}, received {budget.describe(final)}"
        )
    counted = network_count(pruned)
    key = content_key([parent_id, method, asked])
    record = ModelRecord(
        name=name or f"{parent.name}-{method}-{goal}",
        architecture=spec,
        seed=parent.seed,
        dataset=Dataset(name=data.name, fingerprint=data.fingerprint),
        lineage=_pruned_lineage(
            parent_id,
            parent,
            method,
            asked,
            PruningResults(
                start=budget.start,
                limit=budget.limit,
                cost=budget.cost(final),
                history=outcome.history,
                details=outcome.details,
            ),
        ),
        accuracy=evaluate_accuracy(pruned, data.test),
        params=counted.params,
        macs=counted.macs,
        training_time_s=seconds,
        weights_path=_save(store, pruned, f"pruned-{key}"),
        created_at=datetime.now(UTC),
        environment=environment(),
    )
    return store.write(record)


def _find_pruned(store: Store, parent_id: str, method: str, asked: dict[str, Any]) -> str | None:
    from thesislab.prune.lineage import find_models

    def same(record: ModelRecord) -> bool:
        pruning = record.lineage.pruning
        return (
            pruning is not None
            and pruning.method == method
            and all(pruning.settings.get(key) == value for key, value in asked.items())
        )

    found = find_models(store, "pruned", parent_id, same)
    return found[0][0] if found else None


def retrained_architecture(pruned: ArchSpec, params: Mapping[str, ParamValue]) -> ArchSpec:
    """The network a pruned architecture is retrained as: its widths, with `params` in place of
    the family parameters they name (``{"block": "preact"}``: the thesis retrained its pruned
    post-activation WideResNets as pre-activation ones). The parameters must keep the prunable
    layers, for the widths to mean the same channels."""
    from thesislab.models.registry import prunable_layers, resolve

    changed = pruned.model_copy(update={"params": {**pruned.params, **params}})
    if [layer.name for layer in prunable_layers(changed)] != [
        layer.name for layer in prunable_layers(pruned)
    ]:
        raise ThesislabError(
            f"retraining parameters {dict(params)}: expected parameters that keep the pruned "
            "network's prunable layers, received ones that change them"
        )
    return resolve(changed)


def train_pruned(
    results_dir: Path,
    pruned_id: str,
    stage: FollowUp,
    recipe: dict[str, Any] | None = None,
    data_source: str | None = None,
    *,
    params: Mapping[str, ParamValue] | None = None,
    console: Console | None = None,
) -> str:
    """Train a pruned model's follow-up `stage` and return its model id: `fine_tuned` trains the
    pruned weights on with `recipe.FINE_TUNING` updated by `recipe`; `retrained` trains the
    pruned architecture from scratch with the recipe of `recipe`'s fields (default: the
    thesis's), as the network of `params` where given (`retrained_architecture`). Any recipe
    fields may be given (epochs, learning_rate, seed, ...). An interrupted call resumes, a
    finished one returns the stored record."""
    from thesislab.data import load_images
    from thesislab.train.recipe import fine_tuning_recipe, load_recipe
    from thesislab.train.run import train_model

    store = Store(results_dir)
    fine_tuning = stage == "fine_tuned"
    chosen = fine_tuning_recipe(recipe) if fine_tuning else load_recipe(None, **(recipe or {}))
    pruned_id, pruned = _model(store, pruned_id, needs_weights=fine_tuning)
    what = "fine-tuning" if fine_tuning else "retraining"
    if chosen.distillation is not None:
        raise ThesislabError(f"{what}: expected a recipe without distillation")
    architecture = pruned.architecture
    if params:
        if fine_tuning:
            raise ThesislabError(
                f"fine-tuning: expected the pruned network's own parameters (its weights are "
                f"trained on), received {dict(params)}"
            )
        architecture = retrained_architecture(architecture, params)
    result = train_model(
        architecture,
        chosen,
        load_images(pruned, data_source),
        store.root,
        name=f"{pruned.name}-{'fine-tuned' if fine_tuning else 'retrained'}",
        console=console,
        lineage=Lineage.model_validate(
            {**pruned.lineage.model_dump(), "stage": stage, "parent_id": pruned_id}
        ),
        initial_weights=pruned_id if fine_tuning else None,
    )
    return result.record_id
