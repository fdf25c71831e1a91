"""The defaults a record's id leaves out, frozen per schema version.

A record's id hashes its content less the fields at their default, so that adding an optional
field to the schema keeps the ids of the records written before it. The defaults it compares with
are those of `FROZEN`, one table per schema version, never the schema's live defaults: changing a
default in `records` then changes neither an old record's id nor what an old file that leaves the
field out means (`filled` gives it the frozen value). A field added to the schema adds its
default to the current version's table; a value in a table never changes.

The tables speak JSON: a field's default as its record file writes it, or, for a field holding a
model (or a list of models), the `Nested` table of that model's own fields. A required field has
no entry, and neither does `kind`, which every id hashes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

REQUIRED: Any = object()
"""The default of a nested model that a record must give."""


@dataclass(frozen=True)
class Nested:
    """A field holding a model (`many`: a list of them): its own default, and its fields'."""

    fields: dict[str, Any]
    default: Any = REQUIRED
    many: bool = False


def _source() -> Nested:
    value = {"name": "thesislab", "reference": None}
    return Nested(value, default=dict(value))


def _environment() -> Nested:
    return Nested({"versions": {}, "backend": None, "device": None, "commit": None}, default=None)


def _lineage() -> Nested:
    fields = {"stage": "trained", "parent_id": None, "teacher_id": None, "distilled": False}
    return Nested(
        {**fields, "pruning": Nested({"settings": {}}, default=None)},
        default={**fields, "pruning": None},
    )


_COMMON = {"schema_version": 1, "created_at": None}

FROZEN: dict[int, dict[str, dict[str, Any]]] = {
    1: {
        "model": {
            **_COMMON,
            "source": _source(),
            "environment": _environment(),
            "architecture": Nested({"params": {}, "widths": None}),
            "recipe": {},
            "seed": None,
            "dataset": Nested({"fingerprint": None}, default=None),
            "lineage": _lineage(),
            "accuracy": None,
            "validation_accuracy": None,
            "params": None,
            "macs": None,
            "epochs": None,
            "training_time_s": None,
            "images_per_s": None,
            "history": Nested({"accuracy": None, "validation_accuracy": None}, [], many=True),
            "weights_path": None,
            "weights": "trained",
        },
        "artifact": {
            **_COMMON,
            "source": _source(),
            "environment": _environment(),
            "format": "tflite",
            "io_dtype": "float32",
            "size_bytes": None,
            "sha256": None,
            "path": None,
            "accuracy": None,
            "input_normalisation": "in_graph",
            "input_statistics": Nested({}, default=None),
        },
        "measurement": {
            **_COMMON,
            "source": _source(),
            "environment": _environment(),
            "device": Nested({"description": None}),
            "protocol": Nested(
                {
                    "name": None,
                    "threads": None,
                    "warmup_runs": None,
                    "runs": None,
                    "passes": None,
                    "pause_s": None,
                    "batch_size": 1,
                    "min_secs": None,
                    "warmup_min_secs": None,
                    "remeasures": 0,
                    "statistic": "median",
                    "reference": False,
                }
            ),
            "latency": Nested(
                {
                    "median_ms": None,
                    "p5_ms": None,
                    "p95_ms": None,
                    "std_ms": None,
                    "init_ms": None,
                    "first_ms": None,
                    "pass_means_ms": [],
                    "set_aside_pass_means_ms": [],
                    "reference_ratio": None,
                }
            ),
            "predicted_latency_ms": None,
            "reference": Nested({"artifact_id": None}, default=None),
        },
    }
}
"""The defaults of each schema version's record fields, by record kind (see the module
docstring)."""


def _model(data: dict[str, Any], table: dict[str, Any], fill: bool) -> dict[str, Any]:
    """`data` less the fields equal to their default in `table` (`fill`: with the fields it
    leaves out added, at their default), nested models alike."""
    result = dict(data)
    for name, default in table.items():
        nested = default if isinstance(default, Nested) else None
        plain = nested.default if nested is not None else default
        if name not in result:
            if fill and plain is not REQUIRED:
                result[name] = plain
        elif not fill and plain is not REQUIRED and result[name] == plain:
            del result[name]
        elif nested is not None:
            result[name] = _nested(result[name], nested, fill)
    return result


def _nested(value: Any, nested: Nested, fill: bool) -> Any:
    if nested.many and isinstance(value, list):
        return [_nested(item, Nested(nested.fields), fill) for item in value]
    return _model(value, nested.fields, fill) if isinstance(value, dict) else value


def _table(kind: str, version: int) -> dict[str, Any]:
    return FROZEN.get(version, {}).get(kind, {})


def stripped(data: dict[str, Any], kind: str, version: int) -> dict[str, Any]:
    """A record's JSON data less every field equal to its frozen default of `version`."""
    return _model(data, _table(kind, version), fill=False)


def filled(data: dict[str, Any], kind: str, version: int) -> dict[str, Any]:
    """A record file's data with every field it leaves out given its frozen default of
    `version`."""
    return _model(data, _table(kind, version), fill=True)
