"""TFLite conversion time: thesislab's route (the model's traced inference function, variables
frozen in memory) against `TFLiteConverter.from_keras_model` (which exports a SavedModel to disk
first), both with thesislab's options for each variant.

For each architecture (untrained, as the latency atlas converts it: the zoo network of seed 0,
full int8 calibrated on `--representative` images of the bundled sample) and each variant, prints
the best of `--repeats` conversion times by each route, the speed-up, whether both files hold the
same operators, and the largest difference between their outputs on 8 sample images (raw output
values: logits for fp32, quantized integers for int8 with int8 input and output).

Run: .venv/bin/python -m benchmarks.convert [--arch NAME ...] [--repeats 2] [--representative 1000]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import time
import warnings
from collections.abc import Callable

import numpy as np

from thesislab.deploy.artifacts import DEFAULT_REPRESENTATIVE_SIZE
from thesislab.deploy.convert import Variant, configure, convert
from thesislab.deploy.evaluate import artifact_inputs, quantize_input
from thesislab.deploy.sources import keras_on_tensorflow
from thesislab.records import InputStatistics

ARCHITECTURES = [
    "res_d16_w16",
    "mobilenetv2_d12_er6_w24_dropout",
    "shufflenetv2_d12_w64",
    "squeezenext_d9_w48",
    "nasnet_d12_w32",
]
VARIANTS = [Variant("fp32"), Variant("int8", "int8")]


def saved_model_route(model: object, variant: Variant, representative: np.ndarray) -> bytes:
    """`from_keras_model` with thesislab's options for `variant`."""
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    configure(converter, variant, representative)
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter prints the signature, the converter warns
        content: bytes = converter.convert()
    return content


def timed(route: Callable[..., bytes], repeats: int, *arguments: object) -> tuple[float, bytes]:
    """The best time of `repeats` conversions by `route`, and the file."""
    best, content = float("inf"), b""
    for _ in range(repeats):
        start = time.perf_counter()
        content = route(*arguments)
        best = min(best, time.perf_counter() - start)
    return best, content


def operators(content: bytes) -> list[str]:
    from ai_edge_litert.interpreter import Interpreter

    details = Interpreter(model_content=content)._get_ops_details()
    return sorted(detail["op_name"] for detail in details)


def outputs(content: bytes, inputs: np.ndarray) -> np.ndarray:
    """The raw output of each input, one inference each."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=content, num_threads=1)
    interpreter.allocate_tensors()
    source = interpreter.get_input_details()[0]
    target = interpreter.get_output_details()[0]
    found = []
    for value in inputs:
        interpreter.set_tensor(source["index"], quantize_input(value[None], source))
        interpreter.invoke()
        found.append(interpreter.get_tensor(target["index"])[0].astype(np.float64))
    return np.stack(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", nargs="+", default=ARCHITECTURES)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--representative", type=int, default=DEFAULT_REPRESENTATIVE_SIZE)
    args = parser.parse_args()

    keras_on_tensorflow()
    from thesislab.data import load_data
    from thesislab.models.names import parse_name
    from thesislab.train.network import build_network, input_statistics, zoo_network
    from thesislab.train.recipe import load_recipe

    train = load_data("sample").train.images
    print(
        f"{'architecture':34} {'variant':8} {'SavedModel s':>12} {'traced s':>9} "
        f"{'speed-up':>8}  same ops  max |output difference|"
    )
    totals = {"saved": 0.0, "traced": 0.0}
    for name in args.arch:
        network = build_network(parse_name(name).spec, load_recipe(None, seed=0), False)
        mean, std = input_statistics(network)
        statistics = InputStatistics(mean=mean, std=std)
        representative = artifact_inputs(train[: args.representative], statistics)
        zoo = zoo_network(network)
        for variant in VARIANTS:
            saved_s, saved = timed(saved_model_route, args.repeats, zoo, variant, representative)
            traced_s, traced = timed(convert, args.repeats, zoo, variant, representative)
            totals["saved"] += saved_s
            totals["traced"] += traced_s
            same = operators(saved) == operators(traced)
            difference = np.abs(
                outputs(saved, representative[:8]) - outputs(traced, representative[:8])
            )
            print(
                f"{name:34} {variant.label:8} {saved_s:12.2f} {traced_s:9.2f} "
                f"{saved_s / traced_s:7.1f}x  {'yes' if same else 'NO':8}  {difference.max():.3g}"
            )
    print(
        f"{'all':34} {'':8} {totals['saved']:12.2f} {totals['traced']:9.2f} "
        f"{totals['saved'] / totals['traced']:7.1f}x"
    )


if __name__ == "__main__":
    main()
