"""Record schema: round trips, content ids (those of committed records pinned), validation and
the published JSON Schema."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, get_args

import jsonschema
import pydantic
import pytest

from thesislab.models.spec import ArchSpec
from thesislab.record_defaults import FROZEN, Nested
from thesislab.records import (
    RECORD_ADAPTER,
    SCHEMA_VERSION,
    ArtifactRecord,
    DeviceInfo,
    LatencyStats,
    MeasurementRecord,
    ModelRecord,
    Protocol,
    Pruning,
    Reference,
    TrainingRecipe,
    json_schema,
    record_id,
    upgrade,
)

SPEC = ArchSpec(family="wideresnet", params={"depth": 16, "width": 32}, widths=[16, 32, 32])
EXPERIMENTS = Path(__file__).resolve().parents[2] / "experiments"
KINDS = ("model", "artifact", "measurement")
PINNED = [
    ("quickstart", "model", "08fdf2923db36d7ef526"),
    ("quickstart", "artifact", "780b9087b4e5855ab265"),
    ("quickstart", "measurement", "5c951b26f0e344c6d0c5"),
    ("thesis-2019", "model", "00bd32aae81ea205ab0e"),
    ("thesis-2019", "artifact", "0082f4fbc36767fd6774"),
    ("thesis-2019", "measurement", "01160d582a102fa9b446"),
]
"""Committed records (a trained model, its int8 artifact, a local measurement; a thesis model,
artifact and Raspberry Pi measurement) and the ids they must keep."""


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


def committed_files() -> list[Path]:
    return sorted(path for kind in KINDS for path in EXPERIMENTS.glob(f"*/{kind}/*.json"))


def test_id_depends_on_content_only():
    assert record_id(model()) == record_id(model())
    assert record_id(model()) == "96117c005052f2931e4e"
    assert record_id(model()) != record_id(model(seed=2))
    # Fields at their default stay out of the hash, set explicitly or not.
    assert record_id(model(recipe=None, history=[], seed=1)) == record_id(model())


@pytest.mark.parametrize(("study", "kind", "identifier"), PINNED)
def test_committed_records_keep_their_ids(study: str, kind: str, identifier: str):
    path = EXPERIMENTS / study / kind / f"{identifier}.json"
    record = RECORD_ADAPTER.validate_json(path.read_text())
    assert (record.kind, record_id(record)) == (kind, identifier)
    redated = record.model_copy(update={"created_at": datetime(2000, 1, 1, tzinfo=UTC)})
    assert record_id(redated) != identifier


def test_every_committed_record_is_named_by_its_id():
    files = committed_files()
    assert {(path.parts[-3], path.parent.name, path.stem) for path in files} >= set(PINNED)
    misnamed = []
    for path in files:
        record = RECORD_ADAPTER.validate_json(path.read_text())
        if (record.kind, record_id(record)) != (path.parent.name, path.stem):
            misnamed.append(str(path.relative_to(EXPERIMENTS)))
    assert misnamed == []


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


def test_latency_figure_is_the_protocols_statistic_else_the_mean():
    stats = LatencyStats(mean_ms=3.0, median_ms=2.0, p5_ms=1.5)
    assert stats.figure_ms() == 2.0
    assert stats.figure_ms("p5") == 1.5
    assert LatencyStats(mean_ms=3.0).figure_ms("p5") == 3.0
    record = MeasurementRecord(
        artifact_id="a" * 64,
        device=DeviceInfo(name="local"),
        runtime="ai-edge-litert",
        protocol=Protocol(statistic="p5"),
        latency=stats,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert record.latency_ms == 1.5
    assert record.model_copy(update={"protocol": Protocol()}).latency_ms == 2.0
    # timed against a reference: the ratio to it, at the reference's latency
    against = record.model_copy(
        update={
            "latency": stats.model_copy(update={"reference_ratio": 0.25}),
            "reference": Reference(artifact_id="b" * 64, latency_ms=8.0),
        }
    )
    assert against.latency_ms == 2.0


def test_json_schema_covers_the_three_kinds():
    schema = json_schema()
    text = json.dumps(schema)
    for kind in ("ModelRecord", "ArtifactRecord", "MeasurementRecord"):
        assert kind in text
    definitions = schema["$defs"]
    assert schema["discriminator"]["mapping"] == {
        kind: f"#/$defs/{kind.capitalize()}Record" for kind in KINDS
    }
    assert definitions["LatencyStats"]["required"] == ["mean_ms"]
    assert "predicted_latency_ms" in definitions["MeasurementRecord"]["properties"]
    # The version in the title is the one the schema accepts and the one records are written with.
    written = json.loads(model().model_dump_json())["schema_version"]
    for kind in KINDS:
        assert definitions[f"{kind.capitalize()}Record"]["properties"]["schema_version"][
            "const"
        ] == (written)
    assert written == SCHEMA_VERSION
    assert schema["title"] == f"thesislab result record (schema version {written})"


def test_json_schema_accepts_committed_records_and_rejects_broken_ones():
    validator = jsonschema.Draft202012Validator(json_schema())
    files = committed_files()
    assert [
        str(path) for path in files if not validator.is_valid(json.loads(path.read_text()))
    ] == []
    study, kind, identifier = PINNED[0]
    data = json.loads((EXPERIMENTS / study / kind / f"{identifier}.json").read_text())
    for broken in (
        {**data, "latency": 3},
        {**data, "kind": "plot"},
        {**data, "accuracy": 1.5},
        {**data, "schema_version": data["schema_version"] + 1},
    ):
        assert not validator.is_valid(broken)


class _LaterArtifact(ArtifactRecord):
    """The artifact schema as it would be had a later change made int8 the default io_dtype."""

    io_dtype: Literal["float32", "int8", "uint8"] = "int8"


def test_ids_and_meaning_follow_the_frozen_defaults_not_the_live_ones():
    written = ArtifactRecord(model_id="abc", quantization="fp32")  # io_dtype float32, the default
    read_later = _LaterArtifact.model_validate(written.model_dump())
    assert read_later.model_dump(exclude_defaults=True) != written.model_dump(exclude_defaults=True)
    assert record_id(read_later) == record_id(written)
    # A file leaving the field out means the default of its version, not the live one.
    data = written.model_dump(mode="json")
    del data["io_dtype"]
    assert _LaterArtifact.model_validate(upgrade(data)).io_dtype == "float32"
    assert record_id(_LaterArtifact(model_id="abc", quantization="fp32")) != record_id(written)


def _defaulted_fields(model: type[pydantic.BaseModel], table: dict, where: str) -> list[str]:
    """The fields of `model` with a default that `table` lacks, and those of its nested models."""
    missing = []
    for name, field in model.model_fields.items():
        if name == "kind" or (model is Pruning and name == "results"):  # results: in settings
            continue
        entry = table.get(name)
        if not field.is_required() and name not in table:
            missing.append(f"{where}.{name}")
        nested = [
            arg
            for arg in (field.annotation, *get_args(field.annotation))
            for arg in (arg, *get_args(arg))
            if isinstance(arg, type) and issubclass(arg, pydantic.BaseModel)
        ]
        if nested and name != "recipe":
            inner = entry.fields if isinstance(entry, Nested) else {}
            missing += _defaulted_fields(nested[0], inner, f"{where}.{name}")
    return missing


def test_every_defaulted_field_has_a_frozen_default_for_every_version():
    assert set(FROZEN) == set(range(1, SCHEMA_VERSION + 1))
    for record in (ModelRecord, ArtifactRecord, MeasurementRecord):
        kind = record.model_fields["kind"].default
        assert _defaulted_fields(record, FROZEN[SCHEMA_VERSION][kind], kind) == []


def test_typed_recipe_and_pruning_keep_the_json_of_their_files():
    older = {"epochs": 2, "dropout": None, "distillation": None}  # written before other fields
    for recipe in (older, {"tags": ["KD"], "kd_pipeline": "teacher"}, {}):
        record = ModelRecord.model_validate({**model().model_dump(mode="json"), "recipe": recipe})
        assert record.model_dump(mode="json")["recipe"] == recipe == record.recipe_fields
    assert isinstance(
        ModelRecord.model_validate({**model().model_dump(), "recipe": older}).recipe, TrainingRecipe
    )
    flat = {"target": {"macs": 0.5}, "factor": None, "start": 9.0, "limit": 4.5, "cost": 4.4}
    pruning = Pruning.model_validate(
        {"method": "morphnet", "settings": {**flat, "history": [], "alive": [3], "scale": 0.6}}
    )
    assert pruning.settings == {"target": {"macs": 0.5}, "factor": None}
    assert pruning.results is not None and pruning.results.cost == 4.4
    assert pruning.results.details == {"alive": [3], "scale": 0.6}
    assert Pruning.model_validate(pruning.model_dump()) == pruning
    assert pruning.model_dump()["settings"] == {**flat, "history": [], "alive": [3], "scale": 0.6}
    imported = Pruning(method="fisher", settings={"run": "res-40-2-fisher", "variant": "table"})
    assert imported.results is None and imported.model_dump()["settings"] == imported.settings
