"""Real studies, real stages: the quickstart killed and resumed in a subprocess, and every shipped
thesis study run end to end at a reduced size."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import yaml

from tests.studies.conftest import REPO, cut_down
from thesislab.store import Store, table
from thesislab.studies.executors import LocalExecutor
from thesislab.studies.ledger import Ledger
from thesislab.studies.plan import plan
from thesislab.studies.runner import execute
from thesislab.studies.spec import parse_study
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
    study_file = tmp_path / "quickstart.yaml"
    study_file.write_text(
        yaml.safe_dump(cut_down(REPO / "experiments" / "quickstart.yaml", tiny_data, entries=2))
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
    second = thesislab("run", str(study_file), "--results", str(results))
    output = second.communicate(timeout=600)[0]
    assert second.returncode == 0, output[-3000:]
    # What finished before the kill was not redone; everything else is done now.
    assert {name: mtime for name, mtime in finished.items()} == {
        path.name: path.stat().st_mtime_ns for path in ledger.iterdir() if path.name in finished
    }
    jobs = plan(parse_study(yaml.safe_load(study_file.read_text())))
    assert len(list(ledger.iterdir())) == len(jobs)
    frame = table(results)
    assert sorted(frame["quantization"]) == ["fp32", "fp32", "int8", "int8"]
    assert frame["latency_ms"].notna().all() and frame["accuracy"].notna().all()
    dry = thesislab("run", str(study_file), "--results", str(results), "--dry-run")
    assert f"{len(jobs)} done, 0 left" in dry.communicate(timeout=120)[0]


@pytest.mark.parametrize(
    ("study_name", "entries"),
    [
        ("architectures", 2),
        ("distillation", ["mobilenetv1_d12_w64_newKD", "mobilenetv1_d12_w64"]),
        ("quantization", 1),
    ],
)
def test_thesis_study_runs_at_reduced_size(tmp_path, tiny_data, study_name, entries):
    data = cut_down(REPO / "experiments" / f"{study_name}.yaml", tiny_data, entries)
    study = parse_study(data, origin=study_name)
    jobs = plan(study)
    executor = LocalExecutor(STAGE_FUNCTIONS, tmp_path)
    results = execute(jobs, Ledger(Store(tmp_path)), executor)
    assert set(results) == {job.key for job in jobs}
    frame = table(tmp_path)
    assert frame["accuracy"].notna().all()
    quantizations = set(study.defaults.stages.convert.quantization)  # type: ignore[union-attr]
    assert set(frame["quantization"]) == quantizations
    assert (frame["device"] == "local").all() and frame["latency_ms"].notna().all()
    if study_name == "distillation":
        students = frame[frame["distilled"]]
        assert len(students) >= 1
        records = Store(tmp_path).load(["model"])
        teacher_ids = {m.lineage.teacher_id for m in records.values() if m.lineage.distilled}
        assert teacher_ids and teacher_ids <= set(records)
    assert json.loads(frame.to_json(orient="records"))


FAST_PRUNING = {
    "fisher": {"prune_every": 2},
    "netadapt": {"short_term_steps": 2, "init_red_fact": 2, "criterion": "fisher"},
    "morphnet": {"steps": 4, "update_every": 2},
    "uniform": {},
}


def test_thesis_pruning_study_runs_at_reduced_size(tmp_path, tiny_data):
    """Every method of the pruning study, on a WRN-10-1 (all layers prunable) instead of a
    WRN-40-2, one budget each, one epoch of everything."""
    data = cut_down(REPO / "experiments" / "pruning.yaml", tiny_data, entries=1)
    data["architectures"][0]["arch"]["params"].update(depth=10, width=16)
    stages = data["defaults"]["stages"]
    for stage in stages["prune"]:
        stage.update(targets=[{"macs": 0.5}], fine_tune_recipe={"epochs": 1, "batch_size": 50})
        stage["settings"] = {**stage.get("settings", {}), **FAST_PRUNING[stage["method"]]}
    study = parse_study(data, origin="pruning")
    jobs = plan(study)
    execute(jobs, Ledger(Store(tmp_path)), LocalExecutor(STAGE_FUNCTIONS, tmp_path))
    frame = table(tmp_path)
    pruned = frame[frame["pruning_method"].notna()]
    assert set(pruned["pruning_method"]) == set(FAST_PRUNING)
    assert set(pruned["stage"]) == {"pruned", "fine_tuned", "retrained"}
    assert len(pruned) == 4 * 3 and pruned["latency_ms"].notna().all()
    unpruned = frame[frame["pruning_method"].isna()].iloc[0]
    assert (pruned["macs"] < unpruned.macs).all()
