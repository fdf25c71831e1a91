"""TFLite conversion of a Keras model: fp32, float16, dynamic-range int8 and full int8.

The converter takes the model's inference function traced once (a concrete function) and freezes
its variables into constants in memory (`experimental_lower_to_saved_model = False`): the same
operators, weights and quantization parameters as `from_keras_model`, which exports a SavedModel
to disk first, in a fraction of the time (`benchmarks/convert.py`). Without freezing, the file
would read its weights from variables that nothing initialises. The file has no signature and its
tensors have the traced function's names, so its bytes differ from those of a file made through
a SavedModel (see CONTRIBUTING.md, "Converting"). Full int8 calibrates on a representative set of
training images and can take and give int8 or uint8 tensors (the 2019 thesis used uint8) or keep
float32 ones.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, get_args

from thesislab.errors import ThesislabError
from thesislab.records import Quantization

if TYPE_CHECKING:
    import keras
    import numpy as np
    import tensorflow as tf
    from tensorflow.types.experimental import ConcreteFunction

IoDtype = Literal["float32", "int8", "uint8"]
QUANTIZATIONS: tuple[Quantization, ...] = get_args(Quantization)
IO_DTYPES: tuple[IoDtype, ...] = get_args(IoDtype)


@dataclass(frozen=True)
class Variant:
    """One way to convert: the quantization and the dtype of the input and output tensors."""

    quantization: Quantization
    io_dtype: IoDtype = "float32"

    def __post_init__(self) -> None:
        if self.io_dtype != "float32" and self.quantization != "int8":
            raise ThesislabError(
                f"{self.io_dtype} input/output needs full int8 quantization, "
                f"received {self.quantization}"
            )

    @property
    def label(self) -> str:
        """e.g. `fp16`, `int8`, `int8-uint8io`: used in file names."""
        if self.quantization == "int8" and self.io_dtype != "int8":
            return f"int8-{self.io_dtype}io"
        return self.quantization


def parse_variants(quantizations: str, int8_io: IoDtype) -> list[Variant]:
    """`fp32,fp16,dynamic,int8` into variants; full int8 gets `int8_io` tensors."""
    names = [name.strip() for name in quantizations.split(",") if name.strip()]
    unknown = [name for name in names if name not in QUANTIZATIONS]
    if unknown or not names:
        raise ThesislabError(
            f"quantization: expected a comma-separated list of {', '.join(QUANTIZATIONS)}, "
            f"received {quantizations!r}"
        )
    if int8_io not in IO_DTYPES:
        raise ThesislabError(
            f"int8 input/output: expected one of {', '.join(IO_DTYPES)}, received {int8_io!r}"
        )
    chosen = [name for name in QUANTIZATIONS if name in names]
    return [Variant(name, int8_io if name == "int8" else "float32") for name in chosen]


def _inference(model: keras.Model) -> ConcreteFunction:
    """The model's inference-mode call on its one input, traced (any batch size)."""
    import tensorflow as tf

    if len(model.inputs) != 1:
        raise ThesislabError(
            f"TFLite conversion: expected a model with one input, received {len(model.inputs)}"
        )
    [source] = model.inputs
    signature = [tf.TensorSpec(source.shape, source.dtype)]
    function = tf.function(
        lambda inputs: model(inputs, training=False), input_signature=signature, autograph=False
    )
    return function.get_concrete_function()


def configure(
    converter: tf.lite.TFLiteConverter, variant: Variant, representative: np.ndarray | None
) -> None:
    """Set `converter`'s options for `variant`; full int8 calibrates on `representative`."""
    import numpy as np
    import tensorflow as tf

    if variant.quantization != "fp32":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if variant.quantization == "fp16":
        converter.target_spec.supported_types = [tf.float16]
    if variant.quantization == "int8":
        if representative is None or len(representative) == 0:
            raise ThesislabError(
                "full int8 conversion: expected representative images, received none"
            )
        samples = representative.astype(np.float32)

        def representative_dataset() -> Iterator[list[np.ndarray]]:
            for sample in samples:
                yield [sample[np.newaxis]]

        converter.representative_dataset = representative_dataset
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        if variant.io_dtype != "float32":
            converter.inference_input_type = tf.as_dtype(variant.io_dtype)
            converter.inference_output_type = tf.as_dtype(variant.io_dtype)


def convert(
    model: keras.Model, variant: Variant, representative: np.ndarray | None = None
) -> bytes:
    """The TFLite flatbuffer of `model` as `variant`; full int8 needs `representative` inputs."""
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_concrete_functions([_inference(model)], model)
    converter.experimental_lower_to_saved_model = False  # weights frozen in, not variables
    configure(converter, variant, representative)
    try:
        with warnings.catch_warnings():  # the converter warns of unused input statistics
            warnings.filterwarnings("ignore", message="Statistics for quantized inputs")
            flatbuffer: bytes = converter.convert()
    except Exception as error:  # the converter raises many types, all with a message
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ThesislabError(
            f"TFLite conversion to {variant.label} failed: {first[:200]}"
        ) from None
    return flatbuffer
