"""Latency measured on an untrained network of an architecture: its record never carries an
accuracy, and the results table puts its latency beside every trained configuration of the same
architecture and quantization (the thesis's included), and beside no other."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from pydantic import ValidationError

from tests.record_writers import deploy, measure, untrained
from thesislab.models.names import parse_name
from thesislab.records import ModelRecord, Source
from thesislab.results.table import table
from thesislab.store import Store

THESIS = Source(name="thesis-2019", reference="NatGr/Master_Thesis")


@pytest.fixture
def results(tmp_path):
    """Two thesis configurations measured on the Pi (fp32 and int8 of one architecture, fp32 of
    another) and untrained networks of the first architecture measured locally in fp32, and of a
    third architecture that nothing trained."""
    thesis = Store(tmp_path / "thesis")
    for name, accuracy, quantizations in (
        ("mobilenetv1_d12_w64", 0.935, ("fp32", "int8")),
        ("mobilenetv1_d15_w32", 0.91, ("fp32",)),
    ):
        spec = parse_name(name).spec
        for seed in (1, 2):
            model = ModelRecord(
                name=name, architecture=spec, seed=seed, accuracy=accuracy, source=THESIS
            )
            for quantization in quantizations:
                artifact_id = deploy(thesis, model, quantization)
                measure(thesis, artifact_id, "raspberry-pi-3b", 150.0)
    own = Store(tmp_path / "atlas")
    # artifacts of random weights with an accuracy the table must not show
    untrained(own, "mobilenetv1_d12_w64", "local", 4.0, artifact_accuracy=0.1)
    untrained(own, "res_d10_w16", "local", 1.0, artifact_accuracy=0.1)
    return [thesis.root, own.root]


def test_an_untrained_model_cannot_hold_an_accuracy():
    spec = parse_name("res_d10_w16").spec
    with pytest.raises(ValidationError, match="untrained model without accuracy"):
        ModelRecord(name="x", architecture=spec, seed=0, weights="untrained", accuracy=0.5)


def test_a_local_measurement_stands_beside_the_thesis_configuration_of_its_architecture(results):
    frame = table(results)
    joined = frame[frame["latency_from"] == "architecture"]
    assert len(joined) == 1
    row = joined.iloc[0]
    assert (row["name"], row["quantization"], row["device"]) == (
        "mobilenetv1_d12_w64",
        "fp32",
        "local",
    )
    assert row["source"] == "thesis-2019"
    assert row["accuracy"] == pytest.approx(0.935) and row["n_seeds"] == 2
    assert row["latency_ms"] == pytest.approx(4.0)
    # not beside the int8 artifact, nor another architecture; the Pi rows are its own
    pi = frame[frame["device"] == "raspberry-pi-3b"]
    assert len(pi) == 3 and (pi["latency_from"] == "measured").all()


def test_an_architecture_measured_untrained_has_no_accuracy_anywhere(results, tmp_path):
    frame = table(results)
    untrained = frame[frame["stage"] == "untrained"]
    assert len(untrained) == 2
    assert untrained["accuracy"].isna().all() and (untrained["n_seeds"] == 0).all()
    assert untrained["latency_ms"].notna().all()
    printed = subprocess.run(
        [sys.executable, "-c", "from thesislab.cli import main; main()"]
        + ["results", "table", "--format", "json"]
        + [arg for root in results for arg in ("--results", str(root))],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rows = [row for row in json.loads(printed) if row["stage"] == "untrained"]
    assert len(rows) == 2 and all(row["accuracy"] is None for row in rows)
