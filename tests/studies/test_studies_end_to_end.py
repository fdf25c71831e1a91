"""Real studies, real stages: the quickstart killed and resumed in a subprocess, and every shipped
thesis study run end to end at a reduced size."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from tests.studies.conftest import REPO, cut_down
from thesislab.cli import app
from thesislab.records import MeasurementRecord
from thesislab.results.table import table
from thesislab.store import Store
from thesislab.studies.check import parse_study
from thesislab.studies.executors import LocalExecutor
from thesislab.studies.jobs import Job
from thesislab.studies.ledger import JobResult, Ledger
from thesislab.studies.plan import plan
from thesislab.studies.runner import execute
from thesislab.studies.stages import STAGE_FUNCTIONS

pytestmark = pytest.mark.slow


def thesislab(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", "from thesislab.cli import main; main()", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=REPO,
    )


def test_quickstart_killed_then_resumed(tmp_path, tiny_data):
    """One entry: the first run is killed once its first job (the training) is recorded, and the
    second does the rest."""
    study_file = tmp_path / "quickstart.yaml"
    study_file.write_text(
        yaml.safe_dump(cut_down(REPO / "experiments" / "quickstart.yaml", tiny_data, entries=1))
    )
    results = tmp_path / "results"
    ledger = results / "jobs"
    first = thesislab("run", str(study_file), "--results", str(results))
    deadline = time.monotonic() + 300
    while not (ledger.is_dir() and any(ledger.iterdir())):
        assert first.poll() is None, first.communicate()[0][-2000:]
        assert time.monotonic() < deadline, "no job finished in time"
        time.sleep(0.2)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    finished = {path.name: path.stat().st_mtime_ns for path in ledger.iterdir()}
    # the second run in this process: it pays for no fresh import of TensorFlow
    second = CliRunner().invoke(app, ["run", str(study_file), "--results", str(results)])
    assert second.exit_code == 0, second.output[-3000:]
    # What finished before the kill was not redone; everything else is done now.
    assert {name: mtime for name, mtime in finished.items()} == {
        path.name: path.stat().st_mtime_ns for path in ledger.iterdir() if path.name in finished
    }
    jobs = plan(parse_study(yaml.safe_load(study_file.read_text())))
    assert len(finished) < len(jobs) == len(list(ledger.iterdir()))
    frame = table(results)
    assert sorted(frame["quantization"]) == ["fp32", "int8"]
    assert frame["latency_ms"].notna().all() and frame["accuracy"].notna().all()
    dry = CliRunner().invoke(app, ["run", str(study_file), "--results", str(results), "--dry-run"])
    assert f"{len(jobs)} done, 0 left" in dry.output
    # A bench job stopped after its measurements were recorded measures nothing again.
    measurements = sorted(path.name for path in (results / "measurement").iterdir())
    for job in jobs:
        if job.stage == "bench":
            (ledger / f"{job.key}.json").unlink()
    execute(jobs, Ledger(Store(results)), LocalExecutor(STAGE_FUNCTIONS, results))
    assert sorted(path.name for path in (results / "measurement").iterdir()) == measurements
    assert len(list(ledger.iterdir())) == len(jobs)


@pytest.fixture(scope="module")
def thesis_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One results folder for the thesis studies below: a network that two of them train alike
    (same architecture, recipe, seed and data) is trained once, as in any folder holding both."""
    return tmp_path_factory.mktemp("thesis-studies")


def ids_of(jobs: list[Job], results: dict[str, JobResult], stage: str) -> set[str]:
    """The ids of the records that the study's jobs of `stage` produced."""
    return {i for job in jobs if job.stage == stage for i in results[job.key].record_ids}


@pytest.mark.parametrize(
    ("study_name", "entries"),
    [
        # one entry each: a second adds no check; the teacher of the distillation study below
        ("architectures", ["mobilenetv1_d15_w100"]),
        # a student, and its teacher with it
        ("distillation", ["mobilenetv1_d12_w64_newKD"]),
        # a network without a teacher (distillation has its own case): four conversions
        ("quantization", ["mobilenetv1_d15_w100"]),
    ],
)
def test_thesis_study_runs_at_reduced_size(thesis_results, tiny_data, study_name, entries):
    data = cut_down(REPO / "experiments" / f"{study_name}.yaml", tiny_data, entries)
    study = parse_study(data, origin=study_name)
    jobs = plan(study)
    store = Store(thesis_results)
    executor = LocalExecutor(STAGE_FUNCTIONS, thesis_results)
    results = execute(jobs, Ledger(store), executor)
    assert set(results) == {job.key for job in jobs}
    artifacts = ids_of(jobs, results, "convert")
    measured = [store.get(i, MeasurementRecord) for i in ids_of(jobs, results, "bench")]
    assert {measurement.artifact_id for measurement in measured} == artifacts
    # The rows of the study's artifacts (the folder also holds the other studies' results).
    frame = table(thesis_results)
    frame = frame[frame["artifact_ids"].map(lambda ids: not artifacts.isdisjoint(ids))]
    assert frame["accuracy"].notna().all()
    quantizations = set(study.defaults.stages.convert.quantization)  # type: ignore[union-attr]
    assert set(frame["quantization"]) == quantizations
    assert (frame["device"] == "local").all() and frame["latency_ms"].notna().all()
    if study_name == "distillation":
        students = frame[frame["distilled"]]
        assert len(students) >= 1
        records = store.load(["model"])
        teacher_ids = {m.lineage.teacher_id for m in records.values() if m.lineage.distilled}
        assert teacher_ids and teacher_ids <= set(records)
    assert json.loads(frame.to_json(orient="records"))


FAST_PRUNING = {
    "fisher": {"prune_every": 2, "channels_removed": 4},
    "netadapt": {"short_term_steps": 2, "init_red_fact": 2},
    # the costliest channels' scales fall under the threshold within the few steps:
    "morphnet": {"steps": 4, "update_every": 2, "strength": 2e-5, "threshold": 0.5},
    "uniform": {},
}
"""Each method's settings at a reduced size (the thesis's own settings kept otherwise)."""


def reduced_stage(stage: dict) -> dict:
    """A prune stage of the study on a tiny network: a MACs target and normalisation instead of
    the latency ones (no lookup table here), fewer steps, one epoch of fine-tuning."""
    settings = {**stage.get("settings", {}), **FAST_PRUNING[stage["method"]]}
    if settings.pop("device", None):
        settings["normalize"] = "macs"
    targets = [{"macs": 0.5} if "latency" in target else target for target in stage["targets"]]
    short = {"epochs": 1, "batch_size": 50}
    reduced = {
        **stage,
        "targets": targets,
        "settings": settings,
        "fine_tune_recipe": {**stage.get("fine_tune_recipe", {}), **short},
    }
    if "retrain_recipe" in stage:
        reduced["retrain_recipe"] = {**stage["retrain_recipe"], **short}
    return reduced


SECOND_PASS = "morphnet-res-40-2-rs=6e-9-tresh=5e-4_pass2"


def test_thesis_pruning_study_runs_at_reduced_size(tmp_path, tiny_data):
    """The first run of every method of the pruning study (MorphNet's: the first pass of its
    second pass) and MorphNet's second pass, with their own settings, on a WRN-10-1 (all layers
    prunable, post-activation) instead of a WRN-40-2, one epoch of everything."""
    data = cut_down(
        REPO / "experiments" / "pruning.yaml", tiny_data, ["res-40-2", "morphnet-res-40-2"]
    )
    for entry in data["architectures"]:
        entry["arch"]["params"].update(depth=10, width=16)
        entry["recipe"] = {**entry.get("recipe", {}), **data["recipe"]}
        chosen: dict[str, dict] = {}
        for stage in entry["stages"]["prune"]:
            chosen.setdefault(stage["method"], stage)
            if stage["name"] == SECOND_PASS:
                [start] = [s for s in entry["stages"]["prune"] if s["name"] == stage["start"]]
                chosen.update(morphnet=start, second=stage)  # one morphnet run: its first
        entry["stages"]["prune"] = [reduced_stage(stage) for stage in chosen.values()]
    study = parse_study(data, origin="pruning")
    jobs = plan(study)
    execute(jobs, Ledger(Store(tmp_path)), LocalExecutor(STAGE_FUNCTIONS, tmp_path))
    frame = table(tmp_path)
    pruned = frame[frame["pruning_method"].notna()]
    assert set(pruned["pruning_method"]) == set(FAST_PRUNING)
    netadapt = pruned[pruned["pruning_method"] == "netadapt"]
    assert set(netadapt["stage"]) == {"pruned", "fine_tuned", "retrained"}
    for method in ("fisher", "morphnet", "uniform"):  # the thesis did not fine-tune these
        assert set(pruned[pruned["pruning_method"] == method]["stage"]) == {"pruned", "retrained"}
    assert pruned["latency_ms"].notna().all()
    unpruned = frame[frame["pruning_method"].isna()]
    assert (pruned["macs"] < unpruned["macs"].max()).all()
    # Retrained (and so measured) as the pre-activation network of the pruned channel counts.
    layouts = {
        stage: {json.loads(spec)["params"]["block"] for spec in rows["architecture"]}
        for stage, rows in pruned.groupby("stage")
    }
    assert layouts == {"pruned": {"postact"}, "fine_tuned": {"postact"}, "retrained": {"preact"}}
    records = Store(tmp_path).load(["model"])
    second = [record for record in records.values() if record.name == SECOND_PASS]
    assert second  # one a seed of the entry
    for record in second:
        first = records[str(record.lineage.parent_id)]
        assert first.lineage.stage == "pruned"
        assert (first.name, first.seed) == (SECOND_PASS.removesuffix("_pass2"), record.seed)
