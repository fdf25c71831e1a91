"""Study specs: checked whole (every problem at once, each on its line), defaults and overrides, and
the plan they turn into."""

from __future__ import annotations

import copy
import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.without_modules import MACHINE_LEARNING, run_without
from thesislab.bench.devices import Inventory
from thesislab.bench.protocol import PRESETS
from thesislab.errors import ThesislabError
from thesislab.prune.methods import METHODS
from thesislab.studies.check import Machine, StudyError, load_study, parse_study
from thesislab.studies.jobs import (
    BenchParams,
    ConvertParams,
    Job,
    RetrainParams,
    TrainParams,
    job_key,
)
from thesislab.studies.plan import plan

REPO = Path(__file__).resolve().parents[2]

BASE = {
    "name": "tiny",
    "recipe": {"epochs": 1},
    "defaults": {
        "seeds": [1, 2],
        "stages": {
            "train": {},
            "convert": {"quantization": ["fp32", "int8"]},
            "bench": {"devices": ["local"]},
        },
    },
    "architectures": [
        "res_d10_w16",
        {"arch": "mobilenetv2_d9_er4_w16", "seeds": [1], "recipe": {"epochs": 3}},
    ],
}


def study_with(**changes):
    data = copy.deepcopy(BASE)
    data.update(changes)
    return data


def test_defaults_and_overrides():
    study = parse_study(BASE)
    first, second = study.architectures
    assert study.seeds_of(first) == [1, 2] and study.seeds_of(second) == [1]
    assert study.recipe_of(second) == {"epochs": 3}
    assert study.results_dir() == Path("experiments/tiny")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (study_with(recipes={}), r"recipes: unknown key: did you mean 'recipe'\?"),
        (study_with(architectures=["res_d10_w16", "foonet_d3"]), r"architectures.1.arch: .*foonet"),
        (
            study_with(architectures=[{"arch": "res_d10_w16", "stages": {"trian": {}}}]),
            r"architectures.0.stages.trian: unknown key: did you mean 'train'\?",
        ),
        (
            study_with(
                architectures=[{"arch": "res_d10_w16", "stages": {"train": {"teacher": "big"}}}]
            ),
            r"expected the teacher to be an entry of the study",
        ),
        (
            study_with(
                architectures=[
                    {
                        "arch": "res_d10_w16",
                        "stages": {"convert": None, "bench": {"devices": ["pi"]}},
                    }
                ]
            ),
            r"bench needs artifacts",
        ),
        (
            study_with(
                architectures=[
                    {
                        "arch": "res_d10_w16",
                        "stages": {
                            "train": {},
                            "prune": [
                                {"method": "fisher", "targets": [{"macs": 0.5, "params": 0.5}]}
                            ],
                        },
                    }
                ]
            ),
            r"exactly one of",
        ),
        (study_with(architectures=[]), r"architectures: expected at least 1 item, received \[\]"),
        (
            study_with(
                architectures=[{"arch": "res_d10_w16", "stages": {"bench": {"protocol": "lut"}}}]
            ),
            r"architectures.0.stages.bench.protocol: expected a protocol without a reference "
            r"network, received 'lut'",
        ),
        (
            study_with(
                architectures=[
                    {
                        "arch": "res_d10_w16",
                        "stages": {"bench": {"protocol": {"preset": "quick", "runz": 3}}},
                    }
                ]
            ),
            r"bench.protocol.runz: unknown key: did you mean 'runs'\?",
        ),
    ],
)
def test_invalid_studies_give_one_line_errors(data, message):
    with pytest.raises(ThesislabError, match=message) as error:
        parse_study(data, origin="tiny.yaml")
    assert "\n" not in str(error.value) and str(error.value).startswith("tiny.yaml: ")


def test_yaml_errors_name_the_file(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: [unclosed\n")
    with pytest.raises(ThesislabError, match=r"broken.yaml: not valid YAML"):
        load_study(path)
    with pytest.raises(ThesislabError, match="cannot read study"):
        load_study(tmp_path / "missing.yaml")


def test_plan_has_every_job_once_after_its_inputs():
    jobs = plan(parse_study(BASE))
    stages = [job.stage for job in jobs]
    # res: 2 seeds x (train, 2 conversions, 1 bench); mobilenetv2: 1 seed x the same.
    assert stages.count("trained") == 3
    assert stages.count("convert") == 6
    assert stages.count("bench") == 3
    bench = next(job for job in jobs if job.stage == "bench")
    assert len(bench.deps) == 2
    seen: set[str] = set()
    for job in jobs:
        assert set(job.deps) <= seen
        seen.add(job.key)
    assert len(seen) == len(jobs)
    assert {job.device for job in jobs if job.stage == "bench"} == {"local"}


def test_keys_change_only_with_inputs():
    keys = {job.label: job.key for job in plan(parse_study(BASE))}
    changed = study_with(recipe={"epochs": 2})
    changed_keys = {job.label: job.key for job in plan(parse_study(changed))}
    assert keys.keys() == changed_keys.keys()
    mobilenet = [label for label in keys if "mobilenetv2" in label]
    resnet = [label for label in keys if "res_d10" in label]
    # The mobilenet entry overrides epochs itself, so its jobs keep their keys.
    assert all(keys[label] == changed_keys[label] for label in mobilenet)
    assert all(keys[label] != changed_keys[label] for label in resnet)


def test_distillation_and_pruning_plan():
    data = study_with(
        architectures=[
            "res_d16_w32",
            {
                "arch": "res_d10_w16",
                "stages": {
                    "train": {"teacher": "res_d16_w32"},
                    "prune": [{"method": "uniform", "targets": [{"channels": 0.5}]}],
                    "convert": {"quantization": ["fp32"]},
                },
            },
        ],
        defaults={"seeds": [1], "stages": {"train": {}}},
    )
    jobs = {job.label: job for job in plan(parse_study(data))}
    student = jobs["train res_d10_w16 seed 1"]
    assert student.deps == (jobs["train res_d16_w32 seed 1"].key,)
    distilled = student.params_of(TrainParams)
    assert distilled.kd_lambda == 0.2 and distilled.temperature == 2.0
    stages = sorted(job.stage for job in jobs.values())
    assert stages.count("pruned") == 1 and stages.count("fine_tuned") == 1
    assert stages.count("retrained") == 1
    # One artifact per model of the student: trained, pruned, fine-tuned, retrained.
    assert stages.count("convert") == 4


@pytest.mark.parametrize(
    "path", sorted((REPO / "experiments").glob("*.yaml")), ids=lambda p: p.stem
)
def test_shipped_studies_validate_and_plan(path):
    study = load_study(path)
    assert plan(study)
    assert yaml.safe_load(path.read_text())["name"] == study.name


def test_entry_stages_override_defaults_stage_by_stage():
    data = study_with(
        architectures=[
            "res_d16_w32",
            {"arch": "res_d10_w16", "stages": {"train": {"teacher": "res_d16_w32"}}},
            {"arch": "res_d10_w16", "name": "no_bench", "stages": {"bench": None}},
        ]
    )
    study = parse_study(data)
    student, no_bench = study.architectures[1], study.architectures[2]
    stages = study.stages_of(student)
    assert stages.train is not None and stages.train.teacher == "res_d16_w32"
    assert stages.convert == study.defaults.stages.convert and stages.bench is not None
    assert study.stages_of(no_bench).bench is None


def test_pruning_settings_are_checked_before_anything_runs():
    entry = {
        "arch": "res_d10_w16",
        "stages": {
            "prune": [{"method": "netadapt", "targets": [{"macs": 0.5}], "settings": {"decay": 1}}]
        },
    }
    with pytest.raises(
        ThesislabError, match=r"prune.0.settings.decay: unknown key: did you mean 'decay_rate'\?"
    ):
        parse_study(study_with(architectures=[entry]))


def test_a_recipe_preset_with_overrides_plans_and_is_checked():
    from thesislab.train.recipe import load_recipe

    study = parse_study(study_with(recipe={"preset": "thesis2019", "epochs": 1}))
    trains = [job for job in plan(study) if job.stage == "trained"]
    recipes = [load_recipe(None, **job.params_of(TrainParams).recipe) for job in trains]

    assert {(r.name, r.weight_decay_scope, r.crop_offsets) for r in recipes} == {
        ("thesis2019", "thesis2019", "exclusive")
    }
    assert sorted(r.epochs for r in recipes) == [1, 1, 3]  # the mobilenetv2 entry's own epochs
    with pytest.raises(ThesislabError, match=r"tiny.yaml: recipe: unknown recipe preset"):
        parse_study(study_with(recipe={"preset": "thesis2020"}), origin="tiny.yaml")


def _bench_jobs(data: dict) -> list[Job]:
    return [job for job in plan(parse_study(data)) if job.stage == "bench"]


def test_bench_jobs_hold_the_protocol_resolved(monkeypatch):
    overridden = {"preset": "thesis2019", "statistic": "p5", "batch_size": 2, "pause_s": 0}
    [bench] = _bench_jobs(
        study_with(
            defaults={**BASE["defaults"], "seeds": [1]},
            architectures=[{"arch": "res_d10_w16", "stages": {"bench": {"protocol": overridden}}}],
        )
    )
    protocol = bench.params_of(BenchParams).protocol
    assert (protocol.name, protocol.statistic, protocol.batch_size) == ("custom", "p5", 2)
    assert protocol.runs == PRESETS["thesis2019"].runs
    before = {job.label: job.key for job in _bench_jobs(BASE)}
    assert all(job.params_of(BenchParams).protocol == PRESETS["quick"] for job in _bench_jobs(BASE))
    # A preset changed under the same name changes the key of every bench job that uses it.
    monkeypatch.setitem(PRESETS, "quick", PRESETS["quick"].model_copy(update={"runs": 7}))
    after = {job.label: job.key for job in _bench_jobs(BASE)}
    assert after.keys() == before.keys() and not set(after.values()) & set(before.values())


MISTAKES = """\
name: mistakes
data: ./nowhere
recipe:
  epochs: 2
  lerning_rate: 0.1
defaults:
  seeds: [1]
  stages:
    train: {}
    convert: {quantization: [fp32, int9]}
    bench:
      devices: [local, locl]
      protocol: {preset: quick, runz: 3}
architecures:
  - res_d10_w16
"""


def test_a_study_is_checked_whole_each_problem_on_its_line(tmp_path):
    path = tmp_path / "mistakes.yaml"
    path.write_text(MISTAKES)
    machine = Machine(Inventory(tmp_path / "devices.yaml"))
    with pytest.raises(StudyError) as error:
        load_study(path, machine)
    assert error.value.problems == (
        f"{path}:2: data: data source './nowhere': expected 'sample', 'keras', a directory or a "
        ".zip / .tar[.*] archive, found nothing there",
        f"{path}:5: recipe.lerning_rate: unknown key: did you mean 'learning_rate'?",
        f"{path}:10: defaults.stages.convert.quantization.1: expected 'fp32', 'fp16', 'dynamic' "
        "or 'int8', received 'int9'",
        f"{path}:12: defaults.stages.bench.devices.1: unknown device 'locl': expected one of "
        f"local (inventory {tmp_path / 'devices.yaml'})",
        f"{path}:13: defaults.stages.bench.protocol.runz: unknown key: did you mean 'runs'?",
        # named as read, and not also as the key 'architectures' missing
        f"{path}:14: architecures: unknown key: did you mean 'architectures'?",
    )
    assert str(error.value) == f"{path}: 6 problems, the first: {error.value.problems[0]}"
    # Without a machine, what the study needs of one (devices, data) is not checked.
    with pytest.raises(StudyError) as error:
        load_study(path)
    assert len(error.value.problems) == 4


def test_entries_with_problems_do_not_hide_each_others():
    entries = [
        "res_d10_w16",
        {"arch": {"family": "wideresnet", "params": {"depht": 10}}},
        {"arch": 5},
        {"arch": "res_d16_w16", "stages": {"train": {"teacher": "big"}, "convert": None}},
        {"arch": "res_d10_w16", "seeds": "one"},
    ]
    with pytest.raises(StudyError) as error:
        parse_study(study_with(architectures=entries), origin="tiny.yaml")
    assert [problem.partition(": ")[2].partition(":")[0] for problem in error.value.problems] == [
        "architectures.1.arch",
        "architectures.2.arch",
        "architectures.3.stages",
        "architectures.4.arch",
        "architectures.4.seeds",
    ]
    assert error.value.problems[1].endswith("expected a mapping or a string, received 5")
    assert error.value.problems[2].endswith("bench needs artifacts to measure: add 'convert'")
    assert "used by several entries" in error.value.problems[3]


def thesislab_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from thesislab.cli import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def test_an_unknown_device_fails_the_dry_run_and_the_run_before_anything_runs(tmp_path, inventory):
    data = study_with(defaults={**BASE["defaults"], "seeds": [1]})
    data["defaults"]["stages"]["bench"] = {"devices": ["local", "locl"]}
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "locl" in text)
    expected = (
        f"error: {path}:{line}: defaults.stages.bench.devices.1: unknown device 'locl': "
        f"expected one of local, pi (inventory {inventory})"
    )
    for extra in (["--dry-run"], []):
        completed = thesislab_cli(
            "run", str(path), "-r", str(tmp_path / "results"), *extra, cwd=tmp_path
        )
        assert completed.returncode == 1
        assert completed.stderr.splitlines() == [expected]
        assert completed.stdout == ""
    assert not (tmp_path / "results").exists()


def test_several_problems_are_printed_each_on_a_line(tmp_path, inventory):
    path = tmp_path / "mistakes.yaml"
    path.write_text(MISTAKES)
    completed = thesislab_cli("run", str(path), "--dry-run", cwd=tmp_path)
    assert completed.returncode == 1
    lines = completed.stderr.splitlines()
    assert len(lines) == 7 and all(line.startswith(f"{path}:") for line in lines[:6])
    assert lines[-1] == f"error: {path}: 6 problems, each on a line above; nothing was run"


def _pruning_entry(*stages: dict) -> dict:
    return {"arch": "res_d10_w16", "stages": {"prune": list(stages)}}


def test_the_thesis_variants_of_a_prune_stage_are_checked_before_anything_runs():
    uniform = {"method": "uniform", "targets": [{"channels": 0.5}]}
    cases = [
        ({**uniform, "start": "first"}, r"prune.0.start: expected the name of an earlier prune"),
        ({**uniform, "retrain_recipe": {"preset": "x"}}, r"unknown recipe preset 'x'"),
        ({**uniform, "fine_tune_recipe": {"preset": "x"}}, r"unknown recipe preset 'x'"),
        ({**uniform, "retrain_params": {"all_prunable": True}}, r"keep the pruned network's"),
    ]
    for stage, message in cases:
        with pytest.raises(ThesislabError, match=message):
            parse_study(study_with(architectures=[_pruning_entry(stage)]))


def test_a_stage_that_starts_from_another_prunes_its_pruned_model_seed_by_seed():
    first = {"method": "uniform", "name": "first", "targets": [{"channels": 0.5}]}
    second = {**first, "name": "second", "start": "first", "retrain_params": {"dropout": 0.1}}
    jobs = plan(parse_study(study_with(architectures=[_pruning_entry(first, second)])))
    by_label = {job.label: job for job in jobs}
    for seed in (1, 2):
        pruned = by_label[f"prune second seed {seed}"]
        assert pruned.deps == (by_label[f"prune first seed {seed}"].key,)
        retrain = by_label[f"retrain second seed {seed}"]
        assert retrain.params_of(RetrainParams).arch_params == {"dropout": 0.1}
        assert by_label[f"retrain first seed {seed}"].params_of(RetrainParams).arch_params == {}


def test_a_parameter_at_its_default_leaves_the_job_key_as_it_was():
    params = ConvertParams(quantization="int8", representative_size=200, data="sample")
    assert params.key_content() == {
        "quantization": "int8",
        "representative_size": 200,
        "data": "sample",
    }
    uint8 = params.model_copy(update={"int8_io": "uint8"})
    assert job_key(uint8, ()) != job_key(params, ())
    retrain = RetrainParams(recipe={"seed": 1}, data="sample")
    assert retrain.key_content() == {"recipe": {"seed": 1}, "data": "sample"}


def test_a_dry_run_of_the_pruning_study_loads_no_machine_learning(tmp_path):
    """Every pruning method's settings are checked without TensorFlow, Keras, LiteRT or JAX:
    a dry run takes a moment, and works on the core install."""
    arguments = ["thesislab", "run", "experiments/pruning.yaml", "--dry-run", "-r", str(tmp_path)]
    code = f"import sys; sys.argv = {arguments!r}; from thesislab.cli import main; main()"
    completed = run_without(MACHINE_LEARNING, code)
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert " left (" in completed.stdout and "pruned" in completed.stdout


def test_every_method_runs_a_function_of_its_module():
    for method in METHODS.values():
        module, name = method.function.split(":")
        assert callable(getattr(importlib.import_module(f"thesislab.prune.{module}"), name))
