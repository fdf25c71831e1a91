"""The test accuracy of a TFLite file, with the LiteRT interpreter, over a whole test set.

An artifact takes pixel values (its graph normalises them) or values normalised outside it, as its
record says: `artifact_inputs` turns pixel values into what it takes, given the record's
`input_statistics`. The input tensor is resized to the batch size, so a test set runs in a few
large calls. Integer inputs are quantized with the input tensor's own scale and zero point; the
predicted class is the arg-max of the output, which quantization does not reorder.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from thesislab.errors import ThesislabError
from thesislab.records import InputStatistics

DEFAULT_BATCH_SIZE = 250


def artifact_inputs(pixels: np.ndarray, statistics: InputStatistics | None) -> np.ndarray:
    """Pixel values as float32 inputs of an artifact normalised outside its graph with
    `statistics` (None: one that normalises them itself, which takes them as they are)."""
    inputs = pixels.astype(np.float32)
    if statistics is None:
        return inputs
    mean = np.asarray(statistics.mean, dtype=np.float32)
    std = np.asarray(statistics.std, dtype=np.float32)
    normalised: np.ndarray = (inputs - mean) / std
    return normalised


def quantize_input(inputs: np.ndarray, detail: dict[str, Any]) -> np.ndarray:
    """`inputs` as the tensor `detail` takes them (quantized where it is an integer tensor)."""
    dtype = np.dtype(detail["dtype"])
    if not np.issubdtype(dtype, np.integer):
        return inputs.astype(dtype)
    scale, zero_point = detail["quantization"]
    if scale == 0:
        raise ThesislabError(f"integer input tensor of type {dtype}: expected a scale, received 0")
    info = np.iinfo(dtype)
    quantized: np.ndarray = np.clip(np.round(inputs / scale + zero_point), info.min, info.max)
    return quantized.astype(dtype)


def predict_classes(
    model_content: bytes, inputs: np.ndarray, *, batch_size: int = DEFAULT_BATCH_SIZE
) -> np.ndarray:
    """The predicted class of every input (float32, as the artifact takes them)."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=model_content, num_threads=os.cpu_count() or 1)
    input_index = interpreter.get_input_details()[0]["index"]
    predictions = []
    allocated = 0
    for start in range(0, len(inputs), batch_size):
        batch = inputs[start : start + batch_size]
        if len(batch) != allocated:
            interpreter.resize_tensor_input(input_index, [len(batch), *batch.shape[1:]])
            interpreter.allocate_tensors()
            allocated = len(batch)
        detail = interpreter.get_input_details()[0]
        interpreter.set_tensor(input_index, quantize_input(batch, detail))
        interpreter.invoke()
        output = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
        predictions.append(np.argmax(output, axis=-1))
    return np.concatenate(predictions) if predictions else np.empty(0, dtype=np.int64)


def accuracy(
    model_content: bytes,
    inputs: np.ndarray,
    labels: np.ndarray,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> float:
    """The fraction of `inputs` whose predicted class is their label."""
    if len(inputs) == 0 or len(inputs) != len(labels):
        raise ThesislabError(
            f"evaluation: expected as many labels as inputs (at least one), received "
            f"{len(inputs)} inputs and {len(labels)} labels"
        )
    predicted = predict_classes(model_content, inputs, batch_size=batch_size)
    return float(np.mean(predicted == labels.reshape(-1)))
