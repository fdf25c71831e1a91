"""Run by `test_models_jax.py` under KERAS_BACKEND=jax: rebuild each saved spec, load its weights,
and write its logits on the saved images and its counts back to the same folder."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import keras
import numpy as np

from thesislab.models.counting import count
from thesislab.models.registry import build_model
from thesislab.models.spec import ArchSpec


def main(folder: Path) -> None:
    assert keras.backend.backend() == "jax", keras.backend.backend()
    cases = json.loads((folder / "cases.json").read_text())
    batch = np.load(folder / "images.npy")
    results = {}
    for label, spec in cases.items():
        model = build_model(ArchSpec.model_validate(spec))
        model.load_weights(folder / f"{label}.weights.h5")
        counts = count(model)
        results[label] = keras.ops.convert_to_numpy(model(batch, training=False))
        results[f"{label}.counts"] = np.array([counts.params, counts.macs])
    np.savez(folder / "jax.npz", **results)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
