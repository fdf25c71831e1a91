"""The latency atlas study: every architecture of the thesis's records is in it, and it runs end
to end at a reduced size, measuring untrained networks that carry no accuracy."""

from __future__ import annotations

import shutil

import pytest

from tests.studies.conftest import REPO, cut_down
from thesislab.models.registry import architecture_key
from thesislab.records import ArtifactRecord, ModelRecord
from thesislab.results.table import table
from thesislab.store import Store
from thesislab.studies.check import load_study, parse_study
from thesislab.studies.executors import LocalExecutor
from thesislab.studies.ledger import Ledger
from thesislab.studies.plan import plan
from thesislab.studies.runner import execute, status
from thesislab.studies.stages import STAGE_FUNCTIONS

ATLAS = REPO / "experiments" / "latency-atlas.yaml"
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
    data = cut_down(ATLAS, tiny_data, ["res_d10_w16", "mobilenetv1_d15_w32"])
    jobs = plan(parse_study(data, origin="latency-atlas"))
    execute(jobs, Ledger(Store(tmp_path)), LocalExecutor(STAGE_FUNCTIONS, tmp_path))
    store = Store(tmp_path)
    models = store.load(["model"])
    assert len(models) == 2
    assert all(m.weights == "untrained" and m.weights_path is None for m in models.values())
    artifacts = store.load(["artifact"]).values()
    assert sorted(a.quantization for a in artifacts if isinstance(a, ArtifactRecord)) == [
        "fp32",
        "fp32",
        "int8",
        "int8",
    ]
    assert all(a.accuracy is None for a in artifacts if isinstance(a, ArtifactRecord))
    frame = table(tmp_path)
    assert len(frame) == 4 and (frame["stage"] == "untrained").all()
    assert frame["accuracy"].isna().all() and frame["latency_ms"].notna().all()
    assert (frame["latency_from"] == "measured").all()
    # Its files are not committed: a second run remakes them, the same bytes, and measures nothing
    files = {path.name: path.read_bytes() for path in store.tflite_path("x").parent.iterdir()}
    shutil.rmtree(store.tflite_path("x").parent)
    left = status(jobs, Ledger(store)).left
    assert sorted(job.stage for job in left) == ["convert"] * 4
    execute(jobs, Ledger(store), LocalExecutor(STAGE_FUNCTIONS, tmp_path))
    remade = {path.name: path.read_bytes() for path in store.tflite_path("x").parent.iterdir()}
    assert remade == files
    assert len(store.load(["measurement"])) == 4
