"""`experiments/pruning.yaml` is the thesis's pruning study run for run: each run of
`pruning_methods.csv` has one named prune stage whose method and settings are those its name and
columns give."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from thesislab.studies.check import load_study
from thesislab.studies.spec import Entry, PruneStage

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
    assert set(runs) - {"unpruned"} == set(stages)
    study = load_study(STUDY)
    [parent] = [entry for entry in study.architectures if entry.label == "res-40-2"]
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
        elif row["method"] == "morphnet":
            assert settings["strength"] == _number(name, "rs")
            assert settings["threshold"] == _number(name, "tresh")
            assert settings["from_scratch"] is True
            grouped = name.endswith("_Group")
            assert settings["regularizer"] == ("group_lasso" if grouped else "gamma"), name
            assert settings["factor"] == (1.8 if name.endswith("_pass2") else 1), name
            recipe = load_study(STUDY).recipe_of(entry)
            assert recipe["preset"] == "morphnet2019"
            assert recipe.get("learning_rate", 0.1) == (_number(name, "lr") or 0.1), name
        else:
            kept = float(name.rsplit("-", 1)[1])
            assert target.channels == pytest.approx(1 - kept), name
