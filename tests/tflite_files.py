"""Reading TFLite files in tests: their operators, their constant data, their outputs image by
image, and the check that a file holds its weights as constants."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from thesislab.deploy.evaluate import quantize_input

if TYPE_CHECKING:
    import keras

VARIABLE_OPERATORS = frozenset({"VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE", "CALL_ONCE"})
"""Operators of a file that keeps its weights in resource variables instead of constants."""


def operators(content: bytes) -> list[str]:
    """The name of every operator of the file, in graph order."""
    from ai_edge_litert.interpreter import Interpreter

    return [detail["op_name"] for detail in Interpreter(model_content=content)._get_ops_details()]


def outputs(content: bytes, batch: np.ndarray) -> np.ndarray:
    """The output of each image, one inference each: integer inputs quantized, integer outputs
    dequantized, with the tensors' own scale and zero point."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=content, num_threads=1)
    interpreter.allocate_tensors()
    source = interpreter.get_input_details()[0]
    target = interpreter.get_output_details()[0]
    found = []
    for image in batch:
        interpreter.set_tensor(source["index"], quantize_input(image[None], source))
        interpreter.invoke()
        output = interpreter.get_tensor(target["index"])[0]
        if np.issubdtype(output.dtype, np.integer):
            scale, zero_point = target["quantization"]
            output = (output.astype(np.float32) - zero_point) * scale
        found.append(output)
    return np.stack(found)


def constant_bytes(content: bytes) -> int:
    """How many bytes the file's buffers (its constant tensors) hold."""
    from ai_edge_litert.schema_py_generated import Model

    model = Model.GetRootAs(content, 0)
    buffers = (model.Buffers(index) for index in range(model.BuffersLength()))
    return sum(buffer.DataLength() + buffer.Size() for buffer in buffers)


def kernel_weights(model: keras.Model) -> int:
    """How many kernel values (convolutions' and dense layers') the Keras model has."""
    return sum(int(np.prod(w.shape)) for w in model.weights if w.name.endswith("kernel"))


def assert_weights_frozen(content: bytes, model: keras.Model, bytes_per_weight: int) -> None:
    """The file reads no variable and its constants hold every kernel value of `model`, at
    `bytes_per_weight` bytes or more each."""
    assert not VARIABLE_OPERATORS & set(operators(content))
    assert constant_bytes(content) >= kernel_weights(model) * bytes_per_weight
