"""Every method on a tiny trained WideResNet (and MobileNetV2): budgets met exactly, records linked
to their parent and method, the pruned architecture fine-tuned and retrained from scratch."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pytest

from tests.prune.conftest import (
    FAKE_DEVICE,
    TINY_MOBILENET,
    TINY_WRN,
    Trained,
    train_tiny,
    write_fake_table,
)
from thesislab.errors import ThesislabError
from thesislab.latency.table import predict_latency_ms
from thesislab.models.counting import count
from thesislab.models.registry import build_model
from thesislab.models.structure import structure_of
from thesislab.prune.run import prune_model, train_pruned
from thesislab.records import ModelRecord
from thesislab.store import Store
from thesislab.train.recipe import FINE_TUNING
from thesislab.train.run import find_run, record_run_key, run_key

pytestmark = pytest.mark.slow

SEARCH = {"batch_size": 32, "prune_every": 1}
"""Fisher pruning with a removal after every step: fast enough for a test."""


def _pruned(trained: Trained, method: str, target: dict, settings: dict) -> ModelRecord:
    identifier = prune_model(
        trained.results, trained.model_id, method, target, settings, trained.data
    )
    record = Store(trained.results).get(identifier)
    assert isinstance(record, ModelRecord)
    assert record.lineage.stage == "pruned"
    assert record.lineage.parent_id == trained.model_id
    assert record.lineage.pruning is not None and record.lineage.pruning.method == method
    assert record.lineage.pruning.settings["target"] == target
    assert record.accuracy is not None and 0.0 <= record.accuracy <= 1.0
    counted = count(build_model(record.architecture))
    assert (record.params, record.macs) == (counted.params, counted.macs)
    return record


def _widths(record: ModelRecord) -> list[int]:
    return list(record.architecture.widths or [])


def test_uniform_then_random_at_the_same_widths(trained: Trained) -> None:
    uniform = _pruned(trained, "uniform", {"channels": 0.5}, {})
    random = _pruned(trained, "random", {"channels": 0.5}, {"like": "uniform"})

    assert _widths(uniform) == [8, 16, 32]  # exactly half of the 112 channels
    assert _widths(random) == _widths(uniform)
    assert random.lineage.parent_id == uniform.lineage.parent_id


def test_fisher_removes_channels_one_by_one_down_to_the_budget(trained: Trained) -> None:
    record = _pruned(trained, "fisher", {"channels": 0.4}, SEARCH)

    assert sum(_widths(record)) == math.floor(0.4 * 112)
    history = record.lineage.pruning.results.history
    assert len(history) == 112 - math.floor(0.4 * 112)
    assert len({tuple(step) for step in history}) == len(history)  # never the same channel twice


def test_fisher_normalised_by_latency_stops_at_the_predicted_latency(trained: Trained) -> None:
    write_fake_table(trained.results, TINY_WRN)
    structure = structure_of(Store(trained.results).get(trained.model_id).architecture)
    start = structure.spec
    limit = 0.5 * predict_latency_ms(trained.results, start, FAKE_DEVICE)
    target = {"latency_ms": limit, "device": FAKE_DEVICE}

    record = _pruned(trained, "fisher", target, {**SEARCH, "normalize": "latency_ms"})

    assert predict_latency_ms(trained.results, record.architecture, FAKE_DEVICE) <= limit
    last = record.lineage.pruning.results.history[-1][0]
    before = _widths(record)
    before[structure.group_index(last)] += 1
    wider = record.architecture.model_copy(update={"widths": before})
    assert predict_latency_ms(trained.results, wider, FAKE_DEVICE) > limit


@pytest.mark.parametrize(
    ("target", "settings"),
    [
        ({"macs": 0.6}, {"criterion": "l2"}),
        ({"params": 0.5}, {"criterion": "fisher", "allow_small": True}),
    ],
)
def test_netadapt_meets_each_iteration_reduction(
    trained: Trained, target: dict, settings: dict
) -> None:
    options = {"batch_size": 32, "short_term_steps": 2, "init_red_fact": 4, "decay_rate": 0.9}
    record = _pruned(trained, "netadapt", target, {**options, **settings})

    pruning = record.lineage.pruning
    assert pruning is not None and pruning.results is not None
    history = pruning.results.history
    assert pruning.results.cost <= pruning.results.limit
    for before, after in itertools.pairwise(history):
        assert after["asked"] <= before["asked"] * 0.9 + 1e-6
    for step in history:
        assert step["saved"] >= step["asked"] or settings.get("allow_small")
    first = (pruning.results.start - pruning.results.limit) / 4
    assert history[0]["asked"] == pytest.approx(first)


def test_morphnet_scales_the_alive_widths_to_the_budget(trained: Trained) -> None:
    settings = {"batch_size": 32, "steps": 20, "update_every": 10, "strength": 5.0}
    record = _pruned(trained, "morphnet", {"macs": 0.5}, settings)

    pruning = record.lineage.pruning
    assert pruning is not None and pruning.results is not None
    found = pruning.results
    assert 0.9 * found.limit < found.cost <= found.limit
    assert found.details["scale"] > 0 and pruning.settings["factor"] is None
    assert len(found.details["alive"]) == 3


def test_pruned_architecture_fine_tunes_and_retrains(trained: Trained) -> None:
    pruned_id = prune_model(
        trained.results, trained.model_id, "uniform", {"macs": 0.5}, {}, trained.data
    )
    store = Store(trained.results)
    pruned = store.get(pruned_id)
    recipe = {"epochs": 1, "batch_size": 32}

    fine_tuned_id = train_pruned(trained.results, pruned_id, "fine_tuned", recipe, trained.data)
    retrained_id = train_pruned(trained.results, pruned_id, "retrained", recipe, trained.data)

    for identifier, stage in ((fine_tuned_id, "fine_tuned"), (retrained_id, "retrained")):
        record = store.get(identifier)
        assert isinstance(record, ModelRecord) and isinstance(pruned, ModelRecord)
        assert record.lineage.stage == stage and record.lineage.parent_id == pruned_id
        assert record.lineage.pruning == pruned.lineage.pruning
        assert record.architecture == pruned.architecture
        assert record.accuracy is not None and record.epochs == 1
        assert (trained.results / str(record.weights_path)).is_file()
    fine_tuned = store.get(fine_tuned_id, ModelRecord)
    assert fine_tuned.recipe_fields["initial_weights"] == pruned_id
    assert fine_tuned.recipe_fields["learning_rate"] == FINE_TUNING["learning_rate"]
    assert find_run(store, record_run_key(fine_tuned)) == fine_tuned_id
    # The retrained record is not taken for a plain training run of the same architecture.
    retrained = store.get(retrained_id)
    assert isinstance(retrained, ModelRecord) and retrained.dataset is not None
    plain = run_key(retrained.architecture, retrained.recipe, retrained.dataset.fingerprint)
    assert find_run(store, plain) is None
    # Running again finds every stored stage and writes nothing new.
    files_before = sorted(trained.results.rglob("*"))
    assert (
        prune_model(trained.results, trained.model_id, "uniform", {"macs": 0.5}, {}, trained.data)
        == pruned_id
    )
    assert (
        train_pruned(trained.results, pruned_id, "fine_tuned", recipe, trained.data)
        == fine_tuned_id
    )
    assert (
        train_pruned(trained.results, pruned_id, "retrained", recipe, trained.data) == retrained_id
    )
    assert sorted(trained.results.rglob("*")) == files_before


def test_mobilenetv2_fisher_uniform_and_random(
    tmp_path: Path, small_data: str, cache_dir: Path
) -> None:
    mobilenet = Trained(
        tmp_path, train_tiny(tmp_path, TINY_MOBILENET, small_data, cache_dir), small_data
    )
    total = sum(structure_of(Store(tmp_path).get(mobilenet.model_id).architecture).default_widths)

    fisher = _pruned(mobilenet, "fisher", {"channels": 0.7}, SEARCH)
    uniform = _pruned(mobilenet, "uniform", {"macs": 0.5}, {})
    random = _pruned(mobilenet, "random", {"channels": 0.7}, {"like": "fisher", "seed": 3})

    assert sum(_widths(fisher)) == math.floor(0.7 * total)
    assert _widths(random) == _widths(fisher)
    assert uniform.lineage.pruning.results.cost <= uniform.lineage.pruning.results.limit


def test_errors_name_what_was_expected(trained: Trained) -> None:
    with pytest.raises(ThesislabError, match="unknown pruning method 'magnitude'"):
        prune_model(trained.results, trained.model_id, "magnitude", {"macs": 0.5}, {}, trained.data)
    with pytest.raises(ThesislabError, match="fisher settings: field 'prune_evry': unknown key"):
        prune_model(
            trained.results,
            trained.model_id,
            "fisher",
            {"macs": 0.5},
            {"prune_evry": 3},
            trained.data,
        )
    uniform_id = prune_model(
        trained.results, trained.model_id, "uniform", {"channels": 0.5}, {}, trained.data
    )
    with pytest.raises(ThesislabError, match="recipe field 'dropout': unknown key"):
        train_pruned(trained.results, uniform_id, "fine_tuned", {"dropout": 0.5}, trained.data)
    with pytest.raises(ThesislabError, match="fine-tuning: expected a recipe without distil"):
        train_pruned(
            trained.results,
            uniform_id,
            "fine_tuned",
            {"distillation": {"teacher_id": uniform_id}},
            trained.data,
        )
    with pytest.raises(ThesislabError, match="random pruning: expected 'like'"):
        prune_model(
            trained.results,
            trained.model_id,
            "random",
            {"macs": 0.3},
            {"like": "netadapt"},
            trained.data,
        )
