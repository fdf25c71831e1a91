"""Parameter and MAC counts against hand counts, the figures measured with the TF profiler, and
the counts of the plan against those of the built network."""

from __future__ import annotations

import json
import subprocess
import sys

import keras
import pytest
from keras import layers

from tests.models.zoo_cases import REPO_ROOT, TINY, pruned, tiny_spec
from thesislab.models.counting import count, count_spec
from thesislab.models.names import parse_name
from thesislab.models.registry import build_model
from thesislab.models.spec import ArchSpec

CASES = [
    pytest.param(spec, id=f"{family}-{size}{label}")
    for family in sorted(TINY)
    for size in (0, 1)
    for label, spec in (("", tiny_spec(family, size)), ("-pruned", pruned(tiny_spec(family, size))))
] + [pytest.param(ArchSpec(family=family), id=f"{family}-default") for family in sorted(TINY)]


@pytest.mark.parametrize("spec", CASES)
def test_the_plan_counts_every_layer_of_the_built_network(spec):
    built = count(build_model(spec))
    planned = count_spec(spec)
    assert len(planned.layers) == len(built.layers)
    assert {layer.name: layer for layer in planned.layers} == {
        layer.name: layer for layer in built.layers
    }
    assert (planned.params, planned.macs) == (built.params, built.macs)


def test_counting_a_plan_imports_no_framework():
    script = """
import json, sys
from thesislab.models.counting import count_spec
from thesislab.models.spec import ArchSpec
counts = {}
for spec in json.loads(sys.argv[1]):
    total = count_spec(ArchSpec.model_validate(spec))
    counts[spec["family"]] = [total.params, total.macs]
loaded = [name for name in ("keras", "tensorflow", "jax") if name in sys.modules]
print(json.dumps({"counts": counts, "loaded": loaded}))
"""
    specs = json.dumps([tiny_spec(family).model_dump() for family in sorted(TINY)])
    done = subprocess.run(
        [sys.executable, "-c", script, specs],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    report = json.loads(done.stdout)
    assert report["loaded"] == []
    for family in TINY:
        built = count(build_model(tiny_spec(family)))
        assert report["counts"][family] == [built.params, built.macs]


def _bn(channels):
    return 4 * channels  # gamma, beta, moving mean, moving variance


def test_tiny_mobilenetv1_matches_a_hand_count():
    # Stem 16 channels at 32x32; one block per stage: 8 ch at 32x32, 16 at 16x16, 32 at 8x8.
    params = {
        "stem": 3 * 3 * 3 * 16 + _bn(16),
        "stage1": 3 * 3 * 16 + _bn(16) + 16 * 8 + _bn(8),
        "stage2": 3 * 3 * 8 + _bn(8) + 8 * 16 + _bn(16),
        "stage3": 3 * 3 * 16 + _bn(16) + 16 * 32 + _bn(32),
        "head": 32 * 10 + 10,
    }
    macs = {
        "stem": 32 * 32 * 16 * (3 * 3 * 3),
        "stage1": 32 * 32 * 16 * 9 + 32 * 32 * 8 * 16,
        "stage2": 16 * 16 * 8 * 9 + 16 * 16 * 16 * 8,
        "stage3": 8 * 8 * 16 * 9 + 8 * 8 * 32 * 16,
        "head": 32 * 10,
    }
    spec = ArchSpec(family="mobilenetv1", params={"depth": 3, "width": 8})
    for counts in (count(build_model(spec)), count_spec(spec)):
        assert counts.params == sum(params.values()) == 2338
        assert counts.macs == sum(macs.values()) == 814_400


def test_grouped_separable_and_squeeze_layers_match_hand_counts():
    inputs = keras.Input((8, 8, 4))
    grouped = layers.Conv2D(8, 1, groups=2, use_bias=False, name="grouped")(inputs)
    separable = layers.SeparableConv2D(6, 3, strides=2, padding="same", name="sep")(grouped)
    pooled = layers.GlobalAveragePooling2D(keepdims=True)(separable)
    gate = layers.Dense(3, use_bias=False, name="reduce")(pooled)
    counts = {layer.name: layer for layer in count(keras.Model(inputs, gate)).layers}
    assert (counts["grouped"].params, counts["grouped"].macs) == (4 // 2 * 8, 8 * 8 * 8 * 2)
    assert counts["sep"].params == 3 * 3 * 8 + 8 * 6 + 6
    assert counts["sep"].macs == 4 * 4 * (8 * 9 + 8 * 6)
    assert (counts["reduce"].params, counts["reduce"].macs) == (6 * 3, 6 * 3)


@pytest.mark.parametrize(
    ("name", "params", "mega_macs"),
    [("res-16-2", 693_498, 101.1), ("res-40-2", 2_248_954, 327.6)],
)
def test_wideresnets_match_the_profiler(name, params, mega_macs):
    spec = parse_name(name).spec
    for counts in (count(build_model(spec)), count_spec(spec)):
        assert counts.params == params
        assert counts.macs / 1e6 == pytest.approx(mega_macs, abs=0.05)


def _cifar_mobilenetv2() -> keras.Model:
    """Keras-applications MobileNetV2 with CIFAR strides (stem and second stage at stride 1)."""
    stages = [(1, 16, 1, 1), (6, 24, 2, 1), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
              (6, 160, 3, 2), (6, 320, 1, 1)]  # fmt: skip
    inputs = keras.Input((32, 32, 3))
    x = layers.Conv2D(32, 3, padding="same", use_bias=False)(inputs)
    x = layers.ReLU(6.0)(layers.BatchNormalization()(x))
    channels = 32
    for expansion, out, blocks, first_strides in stages:
        for block in range(blocks):
            strides = first_strides if block == 0 else 1
            y = x
            if expansion > 1:
                y = layers.Conv2D(channels * expansion, 1, use_bias=False)(y)
                y = layers.ReLU(6.0)(layers.BatchNormalization()(y))
            y = layers.DepthwiseConv2D(3, strides=strides, padding="same", use_bias=False)(y)
            y = layers.ReLU(6.0)(layers.BatchNormalization()(y))
            y = layers.BatchNormalization()(layers.Conv2D(out, 1, use_bias=False)(y))
            x = layers.Add()([x, y]) if strides == 1 and channels == out else y
            channels = out
    x = layers.Conv2D(1280, 1, use_bias=False)(x)
    x = layers.GlobalAveragePooling2D()(layers.ReLU(6.0)(layers.BatchNormalization()(x)))
    return keras.Model(inputs, layers.Dense(10)(x))


def test_cifar_mobilenetv2_matches_the_profiler():
    model = _cifar_mobilenetv2()
    counts = count(model)
    assert counts.params == model.count_params() == 2_270_794
    assert counts.macs / 1e6 == pytest.approx(88.0, abs=0.05)
