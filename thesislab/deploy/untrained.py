"""Architectures measured without training: a network built with random weights drawn from a
seed, recorded as an untrained model and converted, so that its latency can be measured.

Latency depends on the architecture, the quantization, the runtime and the device, not on the
weights' values, so an untrained network of an architecture times what a trained one would. Its
model record (`weights="untrained"`) holds no accuracy and no weights file: the network is rebuilt
from the spec and the seed whenever it is converted (see `sources.load_keras_model`), full int8
calibrated on training images like a trained network. `results.table.table()` then puts each latency
measured this way beside every trained configuration of the same architecture and quantization.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from thesislab.deploy.artifacts import DEFAULT_REPRESENTATIVE_SIZE, deploy_data, make_artifacts
from thesislab.deploy.convert import parse_variants
from thesislab.models.spec import ArchSpec
from thesislab.records import UNTRAINED, ModelRecord, Quantization
from thesislab.store import Store


def untrained_model(store: Store, spec: ArchSpec, *, name: str | None = None, seed: int = 0) -> str:
    """Write the untrained model record of `spec` (resolved: every parameter and width explicit)
    with its parameter and MAC counts; return its id (the same spec and seed, the same id)."""
    from thesislab.models.counting import count_spec
    from thesislab.models.names import format_name
    from thesislab.models.registry import resolve

    resolved = resolve(spec)
    counts = count_spec(resolved)
    record = ModelRecord(
        name=name or format_name(resolved),
        architecture=resolved,
        seed=seed,
        weights=UNTRAINED,
        params=counts.params,
        macs=counts.macs,
    )
    return store.write(record)


def untrained_artifacts(
    store: Store,
    spec: ArchSpec,
    quantizations: Sequence[Quantization],
    *,
    name: str | None = None,
    seed: int = 0,
    data: str | Path | None = "sample",
    representative_size: int = DEFAULT_REPRESENTATIVE_SIZE,
) -> dict[str, str]:
    """The untrained model of `spec` converted to each quantization (full int8 calibrated on
    `representative_size` images of `data`); artifact ids by quantization."""
    model_id = untrained_model(store, spec, name=name, seed=seed)
    variants = parse_variants(",".join(quantizations), "int8")
    calibrated = any(variant.quantization == "int8" for variant in variants)
    images = deploy_data(
        store,
        model_id,
        source=data,
        representative_size=representative_size if calibrated else 0,
        evaluate_test=False,
    )
    made = make_artifacts(store, model_id, variants, images)
    return {record.quantization: identifier for identifier, record in made}
