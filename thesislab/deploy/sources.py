"""What deployment needs from the rest of thesislab, in one place: the trained Keras model of a
model record, and the images it was trained and is tested on, as float pixel values in [0, 255]
(what the trained network takes: it normalises them itself).

Conversion runs under Keras's TensorFlow backend whatever backend trained the model: the saved
model file is backend-independent.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import numpy as np

from thesislab.errors import ThesislabError
from thesislab.records import UNTRAINED, ModelRecord, record_id
from thesislab.store import Store

if TYPE_CHECKING:
    import keras

    from thesislab.models.spec import ArchSpec


def model_record(store: Store, model_id: str) -> tuple[str, ModelRecord]:
    """The full id and the record of a model (an id prefix also works)."""
    record = store.get(model_id, ModelRecord)
    return record_id(record), record


def keras_on_tensorflow() -> None:
    """Make sure Keras runs on TensorFlow in this process (conversion needs it)."""
    if "keras" not in sys.modules:
        os.environ["KERAS_BACKEND"] = "tensorflow"
    import keras

    if keras.backend.backend() != "tensorflow":
        raise ThesislabError(
            "TFLite conversion needs Keras's TensorFlow backend, received backend "
            f"{keras.backend.backend()!r}: run it in a process with KERAS_BACKEND=tensorflow"
        )


def load_keras_model(store: Store, model_id: str) -> keras.Model:
    """The network of a model record (pixel values in, logits out), under TensorFlow: the
    whole-model `.keras` file training saved, or an untrained model rebuilt from its spec and
    seed with the default recipe's input normalisation and batch norms."""
    identifier, record = model_record(store, model_id)
    if record.weights == UNTRAINED:
        return untrained_network(record.architecture, record.seed or 0)
    if record.weights_path is None or not store.resolve(record.weights_path).is_file():
        raise ThesislabError(
            f"model {identifier}: expected its weights file {record.weights_path} under "
            f"{store.root}, found none"
        )
    keras_on_tensorflow()
    import thesislab.models.layers  # noqa: F401  (registers the zoo's custom layers)
    from thesislab.train.network import load_network

    return load_network(store.resolve(record.weights_path))


def untrained_network(spec: ArchSpec, seed: int = 0) -> keras.Model:
    """The network of `spec` with random weights drawn from `seed`, under TensorFlow, with the
    default recipe's input normalisation and batch norms: what conversion takes for an
    architecture measured untrained."""
    keras_on_tensorflow()
    from thesislab.train.network import build_network
    from thesislab.training_recipe import Recipe

    return build_network(spec, Recipe(seed=seed), mixed_precision=False)


def model_inputs(images: np.ndarray) -> np.ndarray:
    """Images (uint8) as the trained network's input: float32 pixel values in [0, 255]."""
    return images.astype(np.float32)
