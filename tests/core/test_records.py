"""Record schema: round trips, content ids, validation and the published JSON Schema."""

from __future__ import annotations

import json

import pydantic
import pytest

from thesislab.models.spec import ArchSpec
from thesislab.records import (
    RECORD_ADAPTER,
    SCHEMA_VERSION,
    ArtifactRecord,
    DeviceInfo,
    LatencyStats,
    MeasurementRecord,
    ModelRecord,
    Protocol,
    json_schema,
    record_id,
)

SPEC = ArchSpec(family="wideresnet", params={"depth": 16, "width": 32}, widths=[16, 32, 32])


def model(**changes: object) -> ModelRecord:
    return ModelRecord(name="res_d16_w32", architecture=SPEC, seed=1, accuracy=0.9).model_copy(
        update=changes
    )


@pytest.mark.parametrize(
    "record",
    [
        model(),
        ArtifactRecord(model_id="abc", quantization="int8", io_dtype="int8", accuracy=0.88),
        MeasurementRecord(
            artifact_id="def",
            device=DeviceInfo(name="local"),
            runtime="ai-edge-litert 2.3",
            protocol=Protocol(name="quick", threads=1, warmup_runs=5, runs=50, passes=3),
            latency=LatencyStats(mean_ms=2.5, median_ms=2.4, p5_ms=2.3, p95_ms=2.9, std_ms=0.1),
        ),
    ],
)
def test_round_trip_through_json_keeps_record_and_id(record):
    text = record.model_dump_json()
    again = RECORD_ADAPTER.validate_json(text)
    assert again == record
    assert record_id(again) == record_id(record)
    assert json.loads(text)["schema_version"] == SCHEMA_VERSION


def test_id_depends_on_content_only():
    assert record_id(model()) == record_id(model())
    assert record_id(model()) != record_id(model(seed=2))


@pytest.mark.parametrize(
    ("field", "value"),
    [("accuracy", 1.5), ("accuracy", -0.1), ("params", -3), ("name", "")],
)
def test_out_of_range_values_are_rejected(field, value):
    with pytest.raises(pydantic.ValidationError, match=field):
        ModelRecord.model_validate({**model().model_dump(), field: value})


def test_unknown_fields_and_kinds_are_rejected():
    data = model().model_dump(mode="json")
    with pytest.raises(pydantic.ValidationError):
        RECORD_ADAPTER.validate_python({**data, "latency": 3})
    with pytest.raises(pydantic.ValidationError):
        RECORD_ADAPTER.validate_python({**data, "kind": "plot"})


def test_headline_latency_prefers_median():
    assert LatencyStats(mean_ms=3.0, median_ms=2.0).headline_ms == 2.0
    assert LatencyStats(mean_ms=3.0).headline_ms == 3.0


def test_json_schema_covers_the_three_kinds():
    schema = json_schema()
    text = json.dumps(schema)
    for kind in ("ModelRecord", "ArtifactRecord", "MeasurementRecord"):
        assert kind in text
    assert "latency_ms" in text or "mean_ms" in text
    assert str(SCHEMA_VERSION) in schema["title"]
