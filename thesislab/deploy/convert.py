"""TFLite conversion of a Keras model: fp32, float16, dynamic-range int8 and full int8.

Always `tf.lite.TFLiteConverter.from_keras_model` (a concrete function converted unfrozen gives a
file without weights). Full int8 calibrates on a representative set of training images and can
take and give int8 or uint8 tensors (the 2019 thesis used uint8) or keep float32 ones.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, get_args

from thesislab.errors import ThesislabError
from thesislab.records import Quantization

if TYPE_CHECKING:
    import keras
    import numpy as np

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


def convert(
    model: keras.Model, variant: Variant, representative: np.ndarray | None = None
) -> bytes:
    """The TFLite flatbuffer of `model` as `variant`; full int8 needs `representative` inputs."""
    import numpy as np
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
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
    try:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            # the exporter prints the signature; the converter warns of unused input statistics
            warnings.filterwarnings("ignore", message="Statistics for quantized inputs")
            flatbuffer: bytes = converter.convert()
    except Exception as error:  # the converter raises many types, all with a message
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ThesislabError(
            f"TFLite conversion to {variant.label} failed: {first[:200]}"
        ) from None
    return flatbuffer
