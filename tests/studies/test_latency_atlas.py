"""The latency atlas study: every architecture of the thesis's records is in it, it runs end to
end at a reduced size, measuring untrained networks that carry no accuracy, and its committed
records, whose files are not committed, have their files remade without losing a measurement."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.studies.conftest import REPO, cut_down
from thesislab.bench.hosts import sha256_file
from thesislab.models.registry import architecture_key
from thesislab.records import ArtifactRecord, MeasurementRecord, ModelRecord
from thesislab.results.table import table
from thesislab.store import Store
from thesislab.studies.check import load_study, parse_study
from thesislab.studies.executors import LocalExecutor
from thesislab.studies.ledger import Ledger
from thesislab.studies.plan import plan
from thesislab.studies.runner import execute, status
from thesislab.studies.stages import STAGE_FUNCTIONS

ATLAS = REPO / "experiments" / "latency-atlas.yaml"
ATLAS_RESULTS = REPO / "experiments" / "latency-atlas"
THESIS = REPO / "experiments" / "thesis-2019"


def test_every_thesis_architecture_is_in_the_atlas():
    study = load_study(ATLAS)
    atlas = {architecture_key(entry.spec.model_dump_json()) for entry in study.architectures}
    thesis = {
        architecture_key(model.architecture.model_dump_json())
        for model in Store(THESIS).load(["model"]).values()
        if isinstance(model, ModelRecord)
    }
    assert thesis <= atlas
    families = {entry.spec.family for entry in study.architectures}
    assert len(families) == 10
    jobs = plan(study)
    assert sum(job.stage == "untrained" for job in jobs) == len(study.architectures)
    assert not any(job.stage == "trained" for job in jobs)


@pytest.mark.slow
def test_the_atlas_runs_at_reduced_size(tmp_path, tiny_data):
    data = cut_down(ATLAS, tiny_data, ["mobilenetv1_d15_w32"])  # a second entry adds no check
    jobs = plan(parse_study(data, origin="latency-atlas"))
    execute(jobs, Ledger(Store(tmp_path)), LocalExecutor(STAGE_FUNCTIONS, tmp_path))
    store = Store(tmp_path)
    models = store.load(["model"])
    assert len(models) == 1
    assert all(m.weights == "untrained" and m.weights_path is None for m in models.values())
    artifacts = store.load(["artifact"]).values()
    quantizations = sorted(a.quantization for a in artifacts if isinstance(a, ArtifactRecord))
    assert quantizations == ["fp32", "int8"]
    assert all(a.accuracy is None for a in artifacts if isinstance(a, ArtifactRecord))
    frame = table(tmp_path)
    assert len(frame) == 2 and (frame["stage"] == "untrained").all()
    assert frame["accuracy"].isna().all() and frame["latency_ms"].notna().all()
    assert (frame["latency_from"] == "measured").all()
    # Its files are not committed: a second run remakes them, the same bytes, and measures nothing
    files = {path.name: path.read_bytes() for path in store.tflite_path("x").parent.iterdir()}
    shutil.rmtree(store.tflite_path("x").parent)
    left = status(jobs, Ledger(store)).left
    assert sorted(job.stage for job in left) == ["convert"] * 2
    execute(jobs, Ledger(store), LocalExecutor(STAGE_FUNCTIONS, tmp_path))
    remade = {path.name: path.read_bytes() for path in store.tflite_path("x").parent.iterdir()}
    assert remade == files
    assert len(store.load(["measurement"])) == 2


@pytest.mark.slow
def test_a_committed_entry_has_its_files_remade_and_keeps_its_measurements(tmp_path):
    """The committed records of one entry, without their files: running the study converts
    again and measures nothing. A file made by another converter than today's (another
    TensorFlow, or an earlier route through a SavedModel) has other bytes: it is recorded as a
    new artifact of the same model, and the committed artifact keeps the hash of the file its
    measurements timed; the table joins both in one row per quantization and device."""
    committed, store = Store(ATLAS_RESULTS), Store(tmp_path)
    jobs = [job for job in plan(load_study(ATLAS)) if "res_d10_w16" in job.label.split()]
    done = [committed.ledger_dir() / f"{job.key}.json" for job in jobs]
    store.ledger_dir().mkdir(parents=True)
    for entry in done:
        shutil.copy(entry, store.ledger_dir())
    identifiers = {i for entry in done for i in json.loads(entry.read_text())["record_ids"]}
    kept = {identifier: committed.get(identifier) for identifier in identifiers}
    for record in kept.values():
        store.write(record)
    assert sorted(job.stage for job in status(jobs, Ledger(store)).left) == ["convert"] * 2

    execute(jobs, Ledger(store), LocalExecutor(STAGE_FUNCTIONS, tmp_path))

    assert not status(jobs, Ledger(store)).left
    assert all(store.get(identifier) == record for identifier, record in kept.items())
    measurements = store.of_kind(MeasurementRecord)
    assert measurements.keys() == {i for i, r in kept.items() if isinstance(r, MeasurementRecord)}
    artifacts = store.of_kind(ArtifactRecord)
    for job in jobs:
        if job.stage == "convert":
            result = Ledger(store).result(job.key)
            assert result is not None
            [identifier] = result.record_ids
            artifact = artifacts[identifier]
            path = store.resolve(artifact.path or "")
            assert artifact.sha256 == sha256_file(path)
            assert artifact.quantization == job.params.quantization
    assert {a.model_id for a in artifacts.values()} == {
        i for i, r in kept.items() if isinstance(r, ModelRecord)
    }
    frame = table(tmp_path)
    assert sorted(frame["quantization"]) == ["fp32", "int8"] and set(frame["device"]) == {"local"}
    latency = {artifacts[m.artifact_id].quantization: m.latency_ms for m in measurements.values()}
    assert dict(zip(frame["quantization"], frame["latency_ms"], strict=True)) == latency
