"""The same weights give the same logits and counts under TensorFlow and JAX.

Each family is checked on a pruned tiny spec, so explicit widths are exercised too.
"""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest

from tests.models.zoo_cases import TINY, images, pruned, randomize, tiny_spec
from thesislab.models.counting import count
from thesislab.models.registry import build_model
from thesislab.models.spec import ArchSpec


@pytest.mark.slow
def test_jax_forward_pass_matches_tensorflow(tmp_path, on_jax):
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

    on_jax.call(forward_passes, str(tmp_path))

    with np.load(tmp_path / "jax.npz") as jax_results:
        assert set(jax_results.files) == set(expected)
        for label, values in expected.items():
            np.testing.assert_allclose(jax_results[label], values, atol=1e-4, err_msg=label)


def forward_passes(folder: str) -> None:
    """On JAX: rebuild each spec saved in `folder`, load its weights, and write its logits on the
    saved images and its counts back to `folder` (`jax.npz`)."""
    folder_path = Path(folder)
    assert keras.backend.backend() == "jax", keras.backend.backend()
    cases = json.loads((folder_path / "cases.json").read_text())
    batch = np.load(folder_path / "images.npy")
    results = {}
    for label, spec in cases.items():
        model = build_model(ArchSpec.model_validate(spec))
        model.load_weights(folder_path / f"{label}.weights.h5")
        counts = count(model)
        results[label] = model.predict(batch, verbose=0)  # one compiled graph, not op by op
        results[f"{label}.counts"] = np.array([counts.params, counts.macs])
    np.savez(folder_path / "jax.npz", **results)
