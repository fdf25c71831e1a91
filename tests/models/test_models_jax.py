"""The same weights give the same logits and counts under TensorFlow and JAX.

Each family is checked on a pruned tiny spec, so explicit widths are exercised too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from tests.models.zoo_cases import REPO_ROOT, TINY, images, pruned, randomize, tiny_spec
from thesislab.models.counting import count
from thesislab.models.registry import build_model


@pytest.mark.slow
def test_jax_forward_pass_matches_tensorflow(tmp_path):
    assert keras.backend.backend() == "tensorflow"
    batch = images(3)
    np.save(tmp_path / "images.npy", batch)
    cases, expected = {}, {}
    for family in sorted(TINY):
        spec = pruned(tiny_spec(family))
        model = build_model(spec)
        randomize(model)
        model.save_weights(tmp_path / f"{family}.weights.h5")
        cases[family] = spec.model_dump()
        counts = count(model)
        expected[family] = keras.ops.convert_to_numpy(model(batch, training=False))
        expected[f"{family}.counts"] = np.array([counts.params, counts.macs])
    (tmp_path / "cases.json").write_text(json.dumps(cases))

    script = Path(__file__).with_name("jax_forward.py")
    # XLA's optimisation passes cost more than they save for one tiny forward pass each.
    environment = {
        **os.environ,
        "KERAS_BACKEND": "jax",
        "PYTHONPATH": str(REPO_ROOT),
        "XLA_FLAGS": "--xla_backend_optimization_level=0",
    }
    subprocess.run([sys.executable, str(script), str(tmp_path)], check=True, env=environment)

    with np.load(tmp_path / "jax.npz") as jax_results:
        assert set(jax_results.files) == set(expected)
        for label, values in expected.items():
            np.testing.assert_allclose(jax_results[label], values, atol=1e-4, err_msg=label)
