"""TFLite conversion of each variant, with its weights frozen into the file, and the accuracy of
each with LiteRT."""

from __future__ import annotations

import numpy as np
import pydantic
import pytest

from tests.deploy.conftest import ALL_VARIANTS
from tests.tflite_files import VARIABLE_OPERATORS, assert_weights_frozen, operators
from thesislab.deploy import evaluate
from thesislab.deploy.convert import Variant, convert, parse_variants
from thesislab.errors import ThesislabError
from thesislab.records import ArtifactRecord, InputStatistics

BYTES_PER_WEIGHT = {"fp32": 4, "fp16": 2, "dynamic": 1, "int8": 1}
"""The least a kernel value takes in a file of each quantization."""


def test_parse_variants():
    assert parse_variants("int8, fp32", "uint8") == [Variant("fp32"), Variant("int8", "uint8")]
    with pytest.raises(ThesislabError, match=r"expected a comma-separated list of fp32, fp16"):
        parse_variants("fp32,fp8", "int8")
    with pytest.raises(ThesislabError, match=r"received ''"):
        parse_variants("", "int8")
    with pytest.raises(
        ThesislabError, match=r"uint8 input/output needs full int8 quantization, received fp16"
    ):
        Variant("fp16", "uint8")
    assert Variant("int8", "uint8").label == "int8-uint8io"
    assert Variant("int8", "int8").label == "int8"


@pytest.mark.slow
def test_every_variant_holds_its_weights_as_constants(trained_model, converted):
    model, _ = trained_model
    for variant in ALL_VARIANTS:
        assert_weights_frozen(converted[variant], model, BYTES_PER_WEIGHT[variant.quantization])


@pytest.mark.slow
def test_the_weight_check_refuses_a_file_that_reads_its_variables(trained_model):
    import tensorflow as tf

    model, _ = trained_model
    function = tf.function(lambda images: model(images, training=False))
    traced = function.get_concrete_function(tf.TensorSpec(model.inputs[0].shape))
    unfrozen = tf.lite.TFLiteConverter.from_concrete_functions([traced], model).convert()
    assert VARIABLE_OPERATORS & set(operators(unfrozen))
    with pytest.raises(AssertionError):
        assert_weights_frozen(unfrozen, model, 4)


@pytest.mark.slow
def test_every_variant_converts_and_keeps_its_accuracy(trained_model, converted):
    model, data = trained_model
    inputs = data.test.images.astype(np.float32)
    labels = data.test.labels
    keras_accuracy = float(np.mean(np.argmax(model.predict(inputs, verbose=0), -1) == labels))
    accuracies = {v: evaluate.accuracy(content, inputs, labels) for v, content in converted.items()}

    assert 0.75 < keras_accuracy < 1.0  # learnt, not trivially
    assert accuracies[Variant("fp32")] == pytest.approx(keras_accuracy, abs=0.005)
    for variant, accuracy in accuracies.items():
        assert accuracy == pytest.approx(keras_accuracy, abs=0.04), variant
    sizes = {v.label: len(content) for v, content in converted.items()}
    assert sizes["int8"] < sizes["fp16"] < sizes["fp32"]
    assert sizes["dynamic"] < sizes["fp32"]


@pytest.mark.slow
def test_tensor_types_and_fp32_logits(trained_model, converted):
    from ai_edge_litert.interpreter import Interpreter

    model, data = trained_model
    inputs = data.test.images[:8].astype(np.float32)
    for variant, dtype in (
        (Variant("int8", "uint8"), np.uint8),
        (Variant("int8", "int8"), np.int8),
        (Variant("int8", "float32"), np.float32),
    ):
        interpreter = Interpreter(model_content=converted[variant])
        assert interpreter.get_input_details()[0]["dtype"] == dtype
        assert interpreter.get_output_details()[0]["dtype"] == dtype
    interpreter = Interpreter(model_content=converted[Variant("fp32")])
    interpreter.resize_tensor_input(interpreter.get_input_details()[0]["index"], inputs.shape)
    interpreter.allocate_tensors()
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], inputs)
    interpreter.invoke()
    logits = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    np.testing.assert_allclose(logits, model.predict(inputs, verbose=0), atol=1e-4)


@pytest.mark.slow
def test_full_int8_needs_representative_images(trained_model):
    with pytest.raises(ThesislabError, match=r"expected representative images, received none"):
        convert(trained_model[0], Variant("int8"), None)


def test_quantize_input_uses_scale_and_zero_point():
    detail = {"dtype": np.int8, "quantization": (0.5, -3)}
    quantized = evaluate.quantize_input(np.array([0.0, 1.0, 1000.0, -1000.0]), detail)
    assert quantized.tolist() == [-3, -1, 127, -128] and quantized.dtype == np.int8
    with pytest.raises(ThesislabError, match=r"expected as many labels as inputs"):
        evaluate.accuracy(b"", np.zeros((2, 1)), np.zeros(3))


def test_artifact_inputs_follow_the_record_normalisation():
    pixels = np.array([[[[0, 100, 255]]]], dtype=np.uint8)
    statistics = InputStatistics(mean=(10.0, 100.0, 55.0), std=(2.0, 4.0, 50.0))
    normalised = evaluate.artifact_inputs(pixels, statistics)
    assert normalised.dtype == np.float32 and normalised.ravel().tolist() == [-5.0, 0.0, 4.0]
    assert evaluate.artifact_inputs(pixels, None).ravel().tolist() == [0.0, 100.0, 255.0]
    ArtifactRecord(
        model_id="m",
        quantization="fp32",
        input_normalisation="outside",
        input_statistics=statistics,
    )
    with pytest.raises(pydantic.ValidationError, match=r"received none with 'outside'"):
        ArtifactRecord(model_id="m", quantization="fp32", input_normalisation="outside")
    with pytest.raises(pydantic.ValidationError, match=r"received some with 'in_graph'"):
        ArtifactRecord(model_id="m", quantization="fp32", input_statistics=statistics)
