"""From a model record to artifact records: convert each variant, write the TFLite file under the
store's files directory (atomically, named by content), evaluate it on the whole test set, and
record it.

The converted graph is the model-zoo network alone, as in the 2019 thesis: it takes inputs
normalised outside it with the trained network's own input statistics, which the artifact record
holds; calibration and evaluation images are normalised the same way.

Conversion is deterministic, so converting the same model the same way again rewrites nothing:
the file and the record have the same content, hence the same names.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from thesislab.data import load_images
from thesislab.deploy import evaluate, sources
from thesislab.deploy.convert import Variant, convert
from thesislab.filesystem import atomic_write_bytes
from thesislab.records import UNTRAINED, ArtifactRecord, Environment, InputStatistics
from thesislab.store import Store

DEFAULT_REPRESENTATIVE_SIZE = 1000
"""Training images that calibrate full int8 (the thesis's 1,000) where a command converts."""
STUDY_REPRESENTATIVE_SIZE = 200
"""Training images that calibrate full int8 where a study's convert stage does not say (the job
keys of the committed studies hash it)."""


@dataclass(frozen=True)
class DeployData:
    """Pixel values for calibration and evaluation (either may be absent)."""

    representative: np.ndarray | None = None
    test_inputs: np.ndarray | None = None
    test_labels: np.ndarray | None = None


def deploy_data(
    store: Store,
    model_id: str,
    *,
    source: str | Path | None = None,
    representative_size: int = DEFAULT_REPRESENTATIVE_SIZE,
    evaluate_test: bool = True,
    seed: int = 0,
) -> DeployData:
    """A random draw of `representative_size` training images (none for 0) and, if asked, the
    test set (never for an untrained model: random weights have no accuracy); the data set is not
    loaded when neither is wanted."""
    _, record = sources.model_record(store, model_id)
    evaluate_test = evaluate_test and record.weights != UNTRAINED
    if representative_size == 0 and not evaluate_test:
        return DeployData()
    data = load_images(record, source)
    size = min(representative_size, len(data.train))
    chosen = np.sort(np.random.default_rng(seed).choice(len(data.train), size=size, replace=False))
    return DeployData(
        representative=sources.model_inputs(data.train.images[chosen]) if size else None,
        test_inputs=sources.model_inputs(data.test.images) if evaluate_test else None,
        test_labels=data.test.labels if evaluate_test else None,
    )


def _environment() -> Environment:
    import keras
    import tensorflow as tf

    return Environment(
        versions={"tensorflow": tf.__version__, "keras": keras.__version__},
        backend="tensorflow",
    )


def make_artifacts(
    store: Store,
    model_id: str,
    variants: Sequence[Variant],
    data: DeployData,
    *,
    on_variant: Callable[[Variant], None] | None = None,
) -> list[tuple[str, ArtifactRecord]]:
    """Convert, save, evaluate and record every variant; (artifact id, record) of each."""
    from thesislab.train.network import input_statistics, zoo_network

    identifier, _ = sources.model_record(store, model_id)
    network = sources.load_keras_model(store, identifier)
    mean, std = input_statistics(network)
    statistics = InputStatistics(mean=mean, std=std)
    representative = test_inputs = None
    if data.representative is not None:
        representative = evaluate.artifact_inputs(data.representative, statistics)
    if data.test_inputs is not None:
        test_inputs = evaluate.artifact_inputs(data.test_inputs, statistics)
    zoo = zoo_network(network)
    environment = _environment()
    made = []
    for variant in variants:
        if on_variant is not None:
            on_variant(variant)
        flatbuffer = convert(zoo, variant, representative)
        digest = hashlib.sha256(flatbuffer).hexdigest()
        path = store.tflite_path(f"{identifier}-{variant.label}-{digest[:12]}")
        if not path.is_file():
            atomic_write_bytes(path, flatbuffer)
        accuracy = None
        if test_inputs is not None and data.test_labels is not None:
            accuracy = evaluate.accuracy(flatbuffer, test_inputs, data.test_labels)
        record = ArtifactRecord(
            model_id=identifier,
            quantization=variant.quantization,
            io_dtype=variant.io_dtype,
            size_bytes=len(flatbuffer),
            sha256=digest,
            path=store.relative(path),
            accuracy=accuracy,
            input_normalisation="outside",
            input_statistics=statistics,
            environment=environment,
        )
        made.append((store.write(record), record))
    return made
