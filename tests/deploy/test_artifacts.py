"""From a model record to evaluated artifact records, through the API and `thesislab convert`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from tests.deploy.tiny import MEAN, STD
from tests.tflite_files import operators
from thesislab.bench.hosts import sha256_file
from thesislab.deploy import evaluate
from thesislab.deploy.artifacts import deploy_data, make_artifacts
from thesislab.deploy.cli import convert as convert_command
from thesislab.deploy.convert import Variant
from thesislab.errors import ThesislabError
from thesislab.records import ArtifactRecord, Dataset, InputStatistics, ModelRecord
from thesislab.store import Store

pytestmark = pytest.mark.slow


def ops_before_first_convolution(content: bytes) -> list[str]:
    """The names of the ops a TFLite graph runs before its first CONV_2D."""
    names = operators(content)
    assert "CONV_2D" in names
    return names[: names.index("CONV_2D")]


def keras_accuracy(model, images: np.ndarray, labels: np.ndarray) -> float:
    predicted = np.argmax(model.predict(images.astype(np.float32), verbose=0), axis=-1)
    return float(np.mean(predicted == labels))


def test_artifacts_are_written_evaluated_and_recorded_once(
    model_store: tuple[Store, str], data_source: Path, trained_model
):
    store, model_id = model_store
    model, images = trained_model
    data = deploy_data(store, model_id[:8], source=data_source, representative_size=100)
    assert data.representative is not None and len(data.representative) == 100
    variants = [Variant("fp32"), Variant("int8", "uint8")]
    made = make_artifacts(store, model_id, variants, data)
    for (identifier, record), variant in zip(made, variants, strict=True):
        assert store.get(identifier) == record
        assert (record.quantization, record.io_dtype) == (variant.quantization, variant.io_dtype)
        path = store.root / (record.path or "")
        assert path.parent == store.files_dir() / "tflite"
        assert (record.sha256, record.size_bytes) == (sha256_file(path), path.stat().st_size)
        assert record.model_id == model_id and record.accuracy is not None
        assert record.environment and "tensorflow" in record.environment.versions
        assert record.input_normalisation == "outside"
        assert record.input_statistics == InputStatistics(mean=MEAN, std=STD)
        operations = ops_before_first_convolution(path.read_bytes())
        assert not {"SUB", "MUL", "DIV"} & set(operations), operations
    fp32, int8 = (record.accuracy or 0.0 for _, record in made)
    expected = keras_accuracy(model, images.test.images, images.test.labels)
    assert fp32 == pytest.approx(expected, abs=0.005) and fp32 > 0.75
    assert abs(fp32 - int8) < 0.04
    again = make_artifacts(store, model_id, variants, data)
    assert [identifier for identifier, _ in again] == [identifier for identifier, _ in made]
    assert len(list((store.files_dir() / "tflite").iterdir())) == 2


def test_an_artifact_normalising_in_its_graph_still_evaluates(trained_model, converted):
    model, data = trained_model
    images, labels = data.test.images[:40], data.test.labels[:40]
    content = converted[Variant("fp32")]
    record = ArtifactRecord(model_id="m", quantization="fp32")
    assert record.input_normalisation == "in_graph"
    assert {"SUB", "MUL"} <= set(ops_before_first_convolution(content))
    inputs = evaluate.artifact_inputs(images, record.input_statistics)
    assert evaluate.accuracy(content, inputs, labels) == keras_accuracy(model, images, labels)


def test_convert_command(model_store: tuple[Store, str], data_source: Path):
    store, model_id = model_store
    app = typer.Typer()
    app.command()(convert_command)
    app.command("other")(lambda: None)  # keeps `convert` a named subcommand
    arguments = ["convert", model_id[:10], "--results", str(store.root), "--data", str(data_source)]
    result = CliRunner().invoke(app, [*arguments, "-q", "fp16,dynamic", "--no-evaluate"])
    assert result.exit_code == 0, result.output
    records = store.of_kind(ArtifactRecord).values()
    assert sorted(record.quantization for record in records) == ["dynamic", "fp16"]
    assert all(record.accuracy is None for record in records)
    help_text = CliRunner().invoke(app, ["convert", "--help"]).output
    assert "Example: thesislab convert" in help_text


def test_data_and_model_mismatches_are_clear(model_store: tuple[Store, str], data_source: Path):
    store, model_id = model_store
    record = store.get(model_id)
    assert isinstance(record, ModelRecord)
    other = store.write(
        record.model_copy(update={"dataset": Dataset(name="x", fingerprint="0" * 20)})
    )
    with pytest.raises(ThesislabError, match=r"expected the data set the model was trained on"):
        deploy_data(store, other, source=data_source)
    missing = store.write(record.model_copy(update={"name": "gone", "weights_path": "files/no"}))
    nothing = deploy_data(store, missing, representative_size=0, evaluate_test=False)
    with pytest.raises(ThesislabError, match=r"expected its weights file files/no under"):
        make_artifacts(store, missing, [Variant("fp32")], nothing)
    artifact = store.write(ArtifactRecord(model_id=model_id, quantization="fp32"))
    with pytest.raises(ThesislabError, match=r"expected a model record .* of kind 'artifact'"):
        deploy_data(store, artifact)


def test_conversion_uses_tensorflow_whatever_the_backend_setting():
    code = (
        "from thesislab.deploy.sources import keras_on_tensorflow; keras_on_tensorflow(); "
        "import keras; print(keras.backend.backend())"
    )
    environment = {**os.environ, "KERAS_BACKEND": "jax"}
    output = subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=True
    ).stdout
    assert output.strip() == "tensorflow"


def test_the_quantization_study_converts_full_int8_as_the_thesis_did(
    model_store: tuple[Store, str], data_source: Path
):
    """quantization.yaml's int8: uint8 input and output, every training image calibrating
    (T/posttrain_quantize_model.py:27-39)."""
    from ai_edge_litert.interpreter import Interpreter

    from tests.conftest import REPO_ROOT
    from thesislab.studies.check import load_study
    from thesislab.studies.jobs import ConvertParams, Job
    from thesislab.studies.ledger import JobResult
    from thesislab.studies.plan import plan
    from thesislab.studies.stages import convert_stage

    store, model_id = model_store
    study = load_study(REPO_ROOT / "experiments" / "quantization.yaml")
    conversions = {job.params_of(ConvertParams) for job in plan(study) if job.stage == "convert"}
    [params] = [params for params in conversions if params.quantization == "int8"]
    assert (params.int8_io, params.representative_size) == ("uint8", 50_000)
    others = {params.int8_io for params in conversions if params.quantization != "int8"}
    assert others == {"int8"}  # the default: no other conversion's key names an int8 dtype
    job = Job.of("convert int8", params.model_copy(update={"data": str(data_source)}))

    made = convert_stage(job, [JobResult((model_id,), (("model_id", model_id),))], store.root)

    artifact = store.get(made.output("artifact_id"), ArtifactRecord)
    assert (artifact.quantization, artifact.io_dtype) == ("int8", "uint8")
    interpreter = Interpreter(model_path=str(store.resolve(str(artifact.path))))
    assert interpreter.get_input_details()[0]["dtype"] == np.uint8
    assert interpreter.get_output_details()[0]["dtype"] == np.uint8
    assert artifact.accuracy is not None and artifact.accuracy > 0.5
