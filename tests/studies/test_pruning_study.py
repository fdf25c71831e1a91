"""`experiments/pruning.yaml` is the thesis's pruning study run for run: each run of
`pruning_methods.csv` has one named prune stage whose method and settings are those its name and
columns give (the unpruned network's run: the entry that trains it), and its pruned networks are
fine-tuned, widened and retrained as the thesis did."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from thesislab.studies.check import load_study
from thesislab.studies.jobs import PruneParams, RetrainParams
from thesislab.studies.plan import plan
from thesislab.studies.spec import Entry, PruneStage
from thesislab.train.recipe import load_recipe

STUDY = Path(__file__).resolve().parents[2] / "experiments" / "pruning.yaml"

METHODS = {
    "NetAdapt": "netadapt",
    "fisher_table": "fisher",
    "fisher_crowley": "fisher",
    "morphnet": "morphnet",
    "uniformly_pruned": "uniform",
}
"""The thesis's method column and the thesislab method that reruns it."""

_REPEAT = re.compile(r"-\d(?=-\d+ch$)|(?<!e)-\d$")
"""The marker of a repeated run: "-2" in "pf=0.8-2-150ch", or a last "-2" not of "1e-2"."""


def _given(value: str) -> bool:
    return value.strip().lower() not in ("", "nan")


def _run_name(file_name: str) -> str:
    return _REPEAT.sub("", file_name)


def _number(name: str, key: str) -> float | None:
    found = re.search(rf"{key}=([0-9.e-]+?)(?:-[a-z_]|_|$)", name)
    return None if found is None else float(found.group(1))


@pytest.fixture(scope="module")
def runs(seed_dir: Path) -> dict[str, list[dict[str, str]]]:
    """The rows of pruning_methods.csv by run name (seed repeats together)."""
    grouped: dict[str, list[dict[str, str]]] = {}
    with (seed_dir / "pruning_methods.csv").open(newline="") as file:
        for row in csv.DictReader(file):
            grouped.setdefault(_run_name(row["file_name"]), []).append(row)
    return grouped


@pytest.fixture(scope="module")
def stages() -> dict[str, tuple[Entry, PruneStage]]:
    study = load_study(STUDY)
    named: dict[str, tuple[Entry, PruneStage]] = {}
    for entry in study.architectures:
        for stage in study.stages_of(entry).prune:
            assert stage.name is not None, f"{entry.label}: every prune stage names its run"
            assert stage.name not in named, f"{stage.name} twice"
            named[stage.name] = (entry, stage)
    return named


def test_the_repeat_marker_is_what_is_stripped() -> None:
    assert _run_name("res-40-2-l2_pruned-pf=0.4-dr=0.98-3") == "res-40-2-l2_pruned-pf=0.4-dr=0.98"
    assert _run_name("res-40-2-table_fisher-pf=0.8-2-150ch") == "res-40-2-table_fisher-pf=0.8-150ch"
    assert (
        _run_name("morphnet-res-40-2-rs=6e-9-tresh=1e-3") == "morphnet-res-40-2-rs=6e-9-tresh=1e-3"
    )
    assert _run_name("unpruned-1") == "unpruned"


def test_every_thesis_run_has_its_stage_and_no_other(runs, stages) -> None:
    study = load_study(STUDY)
    trained = {entry.label: entry for entry in study.architectures}
    assert set(runs) == set(stages) | {"unpruned"}
    assert not set(stages) & set(trained)
    # The unpruned network: P/train.py's pre-activation WRN-40-2, PyTorch recipe, all images.
    unpruned = trained["unpruned"]
    assert study.stages_of(unpruned).train is not None
    assert unpruned.spec.params.get("block", "preact") == "preact"
    recipe = load_recipe(None, **study.recipe_of(unpruned))
    assert recipe.name == "thesis2019-pytorch" and recipe.validation_size == 0
    parent = trained["res-40-2"]
    assert parent.spec.params["block"] == "postact" and parent.spec.params["all_prunable"]


def test_each_stage_does_what_its_run_did(runs, stages) -> None:
    for name, (entry, stage) in stages.items():
        row = runs[name][0]
        assert stage.method == METHODS[row["method"]], name
        settings = stage.settings
        # Stages the thesis recorded: right after pruning always, fine-tuned and retrained where
        # it has those columns (MorphNet and uniform pruning give a width, retrained only).
        assert stage.fine_tune == _given(row["fine_tune"]), name
        assert stage.retrain == _given(row["retrain_scratch"]), name
        # P/train.py retrained every pruned all-prunable (post-activation) WRN as the
        # pre-activation network of its channel counts; PyTorch's SGD fine-tuned them.
        postact = entry.spec.params.get("block") == "postact"
        assert stage.retrain_params == ({"block": "preact"} if postact else {}), name
        if stage.fine_tune:
            assert stage.fine_tune_recipe == {"preset": "thesis2019-fine-tuning"}, name
        [target] = stage.targets
        if row["method"] == "NetAdapt":
            pf = _number(name, "pf")
            assert pf is not None and target.latency == pytest.approx(1 - pf), name
            assert settings["variant"] == "thesis2019"
            assert settings["criterion"] == ("l2" if "-l2_" in name else "fisher")
            assert settings["decay_rate"] == _number(name, "dr")
            assert settings.get("allow_small", False) == ("allow_small" in name)
            assert settings.get("init_red_fact", 20) == (_number(name, "init_red_fact") or 20)
            assert settings.get("short_term_steps", 100) == (700 if "ft=700_100" in name else 100)
        elif row["method"] in ("fisher_table", "fisher_crowley"):
            removed = re.search(r"-(\d+)(?:ch)?$", name)
            assert removed is not None and settings["channels_removed"] == int(removed.group(1))
            table = row["method"] == "fisher_table"
            assert (settings.get("normalize") == "latency_ms") == table, name
            assert (settings.get("layers") == "block_internal") == (not table), name
            assert bool(entry.spec.params.get("all_prunable")) == table, name
            assert settings.get("freeze_pruned", False) == table, name
            assert settings.get("crop_fill") == (None if table else "zeros"), name
        elif row["method"] == "morphnet":
            assert settings["strength"] == _number(name, "rs")
            assert settings["threshold"] == _number(name, "tresh")
            assert settings["from_scratch"] is True
            grouped = name.endswith("_Group")
            assert settings["regularizer"] == ("group_lasso" if grouped else "gamma"), name
            assert settings["factor"] == 1, name
            second = name.endswith("_pass2")
            assert settings.get("widen") == (1.8 if second else None), name
            assert stage.start == (name.removesuffix("_pass2") if second else None), name
            recipe = load_study(STUDY).recipe_of(entry)
            assert recipe["preset"] == "morphnet2019"
            assert recipe.get("learning_rate", 0.1) == (_number(name, "lr") or 0.1), name
            assert stage.retrain_recipe == {"preset": "thesis2019-pytorch"}, name
        else:
            kept = float(name.rsplit("-", 1)[1])
            assert target.channels == pytest.approx(1 - kept), name


def test_morphnets_second_pass_is_a_second_regularised_training_of_the_first_passs_network():
    jobs = plan(load_study(STUDY))
    by_key = {job.key: job for job in jobs}
    second = [job for job in jobs if job.stage == "pruned" and "_pass2 " in job.label]
    assert [job.label for job in second] == [
        f"prune morphnet-res-40-2-rs=6e-9-tresh=5e-4_pass2 seed {seed}" for seed in (1, 2)
    ]
    for job in second:
        [first] = [by_key[key] for key in job.deps]
        seed = job.label.rsplit(" ", 1)[1]
        assert first.label == f"prune morphnet-res-40-2-rs=6e-9-tresh=5e-4 seed {seed}"
        settings = job.params_of(PruneParams).settings
        assert settings["from_scratch"] and settings["widen"] == 1.8  # trained again, widened
        assert {key: value for key, value in settings.items() if key != "widen"} == (
            first.params_of(PruneParams).settings
        )
        [retrain] = [
            other for other in jobs if other.stage == "retrained" and other.deps == (job.key,)
        ]
        params = retrain.params_of(RetrainParams)
        assert params.arch_params == {"block": "preact"}
        assert load_recipe(None, **params.recipe).name == "thesis2019-pytorch"
