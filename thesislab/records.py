"""The schema of result records: trained models, deployable artifacts and latency measurements.

Every result thesislab produces or imports is one of three immutable record kinds:

- `ModelRecord`: a trained network (architecture spec, recipe, seed, data set, lineage, accuracy);
- `ArtifactRecord`: a deployable file made from a model (TFLite format and quantization, its own
  test accuracy);
- `MeasurementRecord`: a latency measurement of an artifact on a device, under a protocol.

Units are part of field names: `*_ms` milliseconds, `*_s` seconds, `*_bytes` bytes; accuracies are
fractions in [0, 1]. The schema is versioned by `SCHEMA_VERSION`; `json_schema()` publishes it,
and `upgrade()` brings the data of a record file written under an older version up to it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    TypeAdapter,
    field_serializer,
    model_serializer,
    model_validator,
)

from thesislab.errors import ThesislabError
from thesislab.keys import content_key
from thesislab.models.spec import ArchSpec
from thesislab.record_defaults import filled, stripped
from thesislab.training_recipe import Recipe

SchemaVersion = Literal[1]
"""The schema version of the records this thesislab writes: bumped on any incompatible change,
with a step in `UPGRADES` from the version before."""

SCHEMA_VERSION: SchemaVersion = get_args(SchemaVersion)[0]

UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}
"""Upgrade steps by version: `UPGRADES[n]` turns the data of a version-n record file into that of
version n + 1 (version 1 is the first, so there are none yet)."""

Quantization = Literal["fp32", "fp16", "dynamic", "int8"]
Stage = Literal["trained", "pruned", "fine_tuned", "retrained"]
"""What made a model: training, pruning, and the two ways of training a pruned network on."""
FollowUp = Literal["fine_tuned", "retrained"]
"""What follows pruning: the pruned weights trained on, or the pruned architecture trained from
scratch (with the recipe that trained its parent)."""
Weights = Literal["trained", "untrained"]
Statistic = Literal["median", "p5"]
UNTRAINED: Weights = "untrained"
"""A model built with seeded random weights to measure its architecture's latency; also the
`stage` the results table gives its rows."""
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegative = Annotated[float, Field(ge=0.0)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Source(_Frozen):
    """Where a record comes from: thesislab itself, or an imported publication."""

    name: str = Field(default="thesislab", description="'thesislab' or e.g. 'thesis-2019'.")
    reference: str | None = Field(default=None, description="Citation or repository and commit.")


class Dataset(_Frozen):
    """The data a model was trained and evaluated on."""

    name: str = Field(description="e.g. 'cifar10', 'cifar10-jpeg', 'sample'.")
    fingerprint: str | None = Field(default=None, description="Content hash of the decoded data.")


class Environment(_Frozen):
    """The software and hardware a record was produced with."""

    versions: dict[str, str] = Field(default_factory=dict, description="Package -> version.")
    backend: str | None = Field(default=None, description="Keras backend: tensorflow, jax, ...")
    device: str | None = Field(default=None, description="e.g. 'cpu', 'NVIDIA H100'.")
    commit: str | None = Field(default=None, description="thesislab's git commit, if known.")


PRUNING_DETAILS: dict[str, tuple[str, ...]] = {
    "fisher": ("steps",),
    "netadapt": ("iterations",),
    "morphnet": ("alive", "scale"),
    "uniform": ("factor",),
    "random": ("widths",),
}
"""The names of what each pruning method reports of its run besides its history
(`PruningResults.details`)."""


class PruningResults(_Frozen):
    """What a pruning run found: its budget, the cost it reached, its decisions."""

    start: float = Field(description="The parent's cost, in the target's metric.")
    limit: float = Field(description="The cost the target allows.")
    cost: float = Field(description="The pruned network's cost.")
    history: list[Any] = Field(default_factory=list, description="The method's decisions.")
    details: dict[str, Any] = Field(
        default_factory=dict, description="The method's own findings (`PRUNING_DETAILS`)."
    )


_RESULT_KEYS = ("start", "limit", "cost", "history")


class Pruning(_Frozen):
    """How a pruned model's architecture was found: the method, what it was asked (its target
    and options) and what it found. A record file keeps both in `settings`, as it always has."""

    method: str = Field(description="fisher, netadapt, morphnet, uniform, random, ...")
    settings: dict[str, Any] = Field(
        default_factory=dict, description="The target and the method's options."
    )
    results: PruningResults | None = Field(
        default=None, description="What the run found (none: an imported result)."
    )

    @model_validator(mode="before")
    @classmethod
    def _results_apart(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "results" in data:
            return data
        settings = dict(data.get("settings") or {})
        if not all(key in settings for key in _RESULT_KEYS):
            return data
        results = {key: settings.pop(key) for key in _RESULT_KEYS}
        names = PRUNING_DETAILS.get(str(data.get("method")), ())
        details = {name: settings.pop(name) for name in names if name in settings}
        return {**data, "settings": settings, "results": {**results, "details": details}}

    @model_serializer(mode="wrap")
    def _results_in_settings(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        results = data.pop("results", None)
        if isinstance(results, dict):
            details = results.pop("details", {})
            data["settings"] = {**data.get("settings", {}), **results, **details}
        return data


class Lineage(_Frozen):
    """Where a model comes from: its stage, parent, teacher and pruning method."""

    stage: Stage = "trained"
    parent_id: str | None = Field(default=None, description="Model this one was pruned from.")
    teacher_id: str | None = Field(default=None, description="Teacher model (distillation).")
    distilled: bool = Field(default=False, description="Trained with knowledge distillation.")
    pruning: Pruning | None = None


class TrainingRecipe(Recipe):
    """A recipe as the record of the model it trained keeps it: the fields its file holds (a
    record written before a field existed keeps lacking it) and the weights training started
    from, if not a fresh initialisation."""

    initial_weights: str | None = Field(
        default=None, description="The model record whose weights training started from."
    )
    dropout: float | None = Field(
        default=None,
        description="Older records only: the dropout rate the recipe set on the architecture "
        "(the record's architecture holds it; the architecture alone says it now).",
    )

    @classmethod
    def of(cls, recipe: Recipe, initial_weights: str | None = None) -> TrainingRecipe:
        """`recipe` with every field given, and `initial_weights` where there are some."""
        start = {} if initial_weights is None else {"initial_weights": initial_weights}
        return cls.model_validate({**recipe.model_dump(include=set(Recipe.model_fields)), **start})


class ImportedRecipe(_Frozen):
    """What an imported publication tells of a model's training."""

    tags: list[str] = Field(description="The tags of the publication's name for the model.")
    kd_pipeline: str | None = Field(
        default=None, description="Its role in the publication's distillation runs."
    )
    split: Literal["validation"] | None = Field(
        default=None, description="'validation': its accuracy is on the validation split."
    )


def recipe_json(recipe: TrainingRecipe | ImportedRecipe | None) -> dict[str, Any]:
    """A model record's recipe as its file holds it: the fields given, none for no recipe."""
    return {} if recipe is None else recipe.model_dump(mode="json", exclude_unset=True)


class EpochStats(_Frozen):
    """One epoch of a training run."""

    epoch: int = Field(ge=1)
    loss: float
    accuracy: Fraction | None = Field(default=None, description="Training accuracy.")
    validation_accuracy: Fraction | None = None
    seconds: NonNegative


class _Record(_Frozen):
    schema_version: SchemaVersion = SCHEMA_VERSION
    source: Source = Field(default_factory=Source)
    created_at: datetime | None = None
    environment: Environment | None = None


class ModelRecord(_Record):
    """A network: trained, or (`weights="untrained"`) built with seeded random weights to measure
    the latency of its architecture, which does not depend on the weights' values."""

    kind: Literal["model"] = "model"
    name: str = Field(min_length=1, description="Human-readable name, e.g. a thesis-style name.")
    architecture: ArchSpec
    recipe: TrainingRecipe | ImportedRecipe | None = Field(
        default=None, description="The training recipe (a record file writes none as {})."
    )
    seed: int | None = None
    dataset: Dataset | None = None
    lineage: Lineage = Field(default_factory=Lineage)
    accuracy: Fraction | None = Field(default=None, description="Test accuracy (fraction).")
    validation_accuracy: Fraction | None = None
    params: int | None = Field(default=None, ge=0, description="Trainable + frozen parameters.")
    macs: int | None = Field(default=None, ge=0, description="Multiply-accumulates, batch 1.")
    epochs: int | None = Field(default=None, ge=0)
    training_time_s: NonNegative | None = None
    images_per_s: NonNegative | None = None
    history: list[EpochStats] = Field(default_factory=list)
    weights_path: str | None = Field(
        default=None, description="Weights file, relative to the results directory."
    )
    weights: Weights = Field(
        default="trained",
        description="'untrained': the architecture built with random weights drawn from `seed`, "
        "never trained and never saved (rebuilt from its spec and seed), with no accuracy.",
    )

    @model_validator(mode="before")
    @classmethod
    def _no_recipe_is_empty(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("recipe") == {}:
            return {**data, "recipe": None}
        return data

    @field_serializer("recipe")
    def _recipe_as_given(self, recipe: TrainingRecipe | ImportedRecipe | None) -> dict[str, Any]:
        return recipe_json(recipe)

    @property
    def recipe_fields(self) -> dict[str, Any]:
        """The recipe's fields as its file holds them (none: no recipe)."""
        return recipe_json(self.recipe)

    @property
    def stage(self) -> str:
        """Its stage in the results: 'untrained' for random weights, else its lineage's stage."""
        return UNTRAINED if self.weights == UNTRAINED else self.lineage.stage

    @model_validator(mode="after")
    def _untrained_has_no_accuracy(self) -> ModelRecord:
        if self.weights == "untrained":
            given = [
                name
                for name in ("accuracy", "validation_accuracy", "weights_path", "epochs")
                if getattr(self, name) is not None
            ] + (["history"] if self.history else [])
            if given:
                raise ValueError(
                    f"expected an untrained model without {', '.join(given)}, received them"
                )
        return self


class InputStatistics(_Frozen):
    """The per-channel statistics an artifact's caller normalises pixel values with: subtract
    `mean`, divide by `std`."""

    mean: tuple[float, ...] = Field(min_length=1, description="In pixel values.")
    std: tuple[Annotated[float, Field(gt=0.0)], ...] = Field(
        min_length=1, description="In pixel values."
    )


class ArtifactRecord(_Record):
    """A deployable file made from a model."""

    kind: Literal["artifact"] = "artifact"
    model_id: str
    format: Literal["tflite"] = "tflite"
    quantization: Quantization
    io_dtype: Literal["float32", "int8", "uint8"] = "float32"
    size_bytes: int | None = Field(default=None, ge=0)
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    path: str | None = Field(default=None, description="File, relative to the results directory.")
    accuracy: Fraction | None = Field(default=None, description="The artifact's test accuracy.")
    input_normalisation: Literal["in_graph", "outside"] = Field(
        default="in_graph",
        description="'in_graph': the file takes pixel values in [0, 255] and normalises them "
        "itself; 'outside': it takes values normalised with `input_statistics`.",
    )
    input_statistics: InputStatistics | None = Field(
        default=None, description="How to normalise inputs, for 'outside' normalisation only."
    )

    @model_validator(mode="after")
    def _statistics_match_normalisation(self) -> ArtifactRecord:
        outside = self.input_normalisation == "outside"
        if outside != (self.input_statistics is not None):
            raise ValueError(
                f"expected input statistics with 'outside' normalisation only, received "
                f"{'none' if self.input_statistics is None else 'some'} with "
                f"{self.input_normalisation!r}"
            )
        return self


class Protocol(_Frozen):
    """How a latency was measured."""

    name: str | None = Field(default=None, description="A named preset, e.g. 'thesis2019'.")
    threads: int | None = Field(default=None, ge=1)
    warmup_runs: int | None = Field(default=None, ge=0)
    runs: int | None = Field(default=None, ge=1, description="Timed runs per call.")
    passes: int | None = Field(default=None, ge=1, description="Shuffled passes over the models.")
    pause_s: NonNegative | None = Field(default=None, description="Pause before each call.")
    batch_size: int = Field(default=1, ge=1)
    min_secs: NonNegative | None = Field(
        default=None,
        description="Least time of the timed runs of one call: runs continue past `runs` until "
        "it is reached. None: no minimum time.",
    )
    warmup_min_secs: NonNegative | None = Field(
        default=None,
        description="Least time of the warm-up runs of one call. None: no minimum time.",
    )
    remeasures: int = Field(
        default=0,
        ge=0,
        description="Times a model whose pass means disagree by more than the tolerance is "
        "measured again (all its passes), before its last attempt is kept as it is.",
    )
    statistic: Statistic = Field(
        default="median",
        description="The statistic of all timed runs that is the measurement's latency: the "
        "median, or the 5th percentile (the device's speed when undisturbed, which a lookup "
        "table needs on a machine whose speed changes from second to second).",
    )
    reference: bool = Field(
        default=False,
        description="Each run of the model is followed by a run of a reference network in the "
        "same process, and the latency is the median ratio of the two times the reference's "
        "latency (`MeasurementRecord.reference`): the ratio holds where the machine's speed "
        "does not.",
    )


class LatencyStats(_Frozen):
    """Latency statistics of one artifact on one device, in milliseconds."""

    mean_ms: NonNegative
    median_ms: NonNegative | None = None
    p5_ms: NonNegative | None = None
    p95_ms: NonNegative | None = None
    std_ms: NonNegative | None = None
    init_ms: NonNegative | None = None
    first_ms: NonNegative | None = Field(default=None, description="First inference.")
    pass_means_ms: list[NonNegative] = Field(default_factory=list, description="One per pass.")
    set_aside_pass_means_ms: list[list[NonNegative]] = Field(
        default_factory=list,
        description="Pass means of earlier attempts, set aside because they disagreed.",
    )
    reference_ratio: NonNegative | None = Field(
        default=None,
        description="Median, over the timed runs, of a run's time over that of the reference "
        "network's run after it (protocols with a reference).",
    )

    def figure_ms(
        self, statistic: Statistic = "median", reference_ms: float | None = None
    ) -> float:
        """The latency a protocol reports: timed against a reference of latency `reference_ms`,
        the ratio to it times that latency; else the protocol's statistic where it was recorded,
        else the mean (imported figures that are means only)."""
        if reference_ms is not None and self.reference_ratio is not None:
            return self.reference_ratio * reference_ms
        value = self.median_ms if statistic == "median" else self.p5_ms
        return value if value is not None else self.mean_ms


class DeviceInfo(_Frozen):
    """The device a measurement ran on."""

    name: str = Field(min_length=1, description="Inventory name, e.g. 'local', 'raspberry-pi-3b'.")
    description: str | None = Field(default=None, description="CPU, OS, ...")


class Reference(_Frozen):
    """The reference network a measurement was timed against, and the latency its ratio is
    expressed at."""

    artifact_id: str | None = Field(
        default=None, description="The reference's artifact (none: a file of a lookup table)."
    )
    latency_ms: NonNegative = Field(description="The reference's latency (ms).")


class MeasurementRecord(_Record):
    """A latency measurement of an artifact on a device."""

    kind: Literal["measurement"] = "measurement"
    artifact_id: str
    device: DeviceInfo
    runtime: str = Field(description="e.g. 'ai-edge-litert 2.3', 'tflite-1.13.1 benchmark_model'.")
    protocol: Protocol
    latency: LatencyStats
    predicted_latency_ms: NonNegative | None = Field(
        default=None, description="Latency predicted by a per-layer lookup table for this device."
    )
    reference: Reference | None = Field(
        default=None, description="Protocols with a reference: what the ratio is taken to."
    )

    @property
    def latency_ms(self) -> float:
        """The measured latency: the protocol's statistic of the timed runs, or, measured against
        a reference, the ratio to it times its latency."""
        reference_ms = None if self.reference is None else self.reference.latency_ms
        return self.latency.figure_ms(self.protocol.statistic, reference_ms)


Record = Annotated[ModelRecord | ArtifactRecord | MeasurementRecord, Field(discriminator="kind")]
RecordKind = Literal["model", "artifact", "measurement"]
RECORD_ADAPTER: TypeAdapter[Record] = TypeAdapter(Record)


def canonical_json(record: BaseModel) -> str:
    """The record as JSON with sorted keys and no optional whitespace."""
    return json.dumps(record.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))


def record_id(record: ModelRecord | ArtifactRecord | MeasurementRecord) -> str:
    """A content-derived id: the same record always gets the same id.

    Fields at their default of this schema version (`record_defaults.FROZEN`, not the live
    defaults) do not enter the hash, so adding an optional field to the schema keeps the ids of
    existing records, and changing a default changes none.
    """
    data = stripped(record.model_dump(mode="json"), record.kind, SCHEMA_VERSION)
    return content_key({**data, "kind": record.kind})


def upgrade(data: Any) -> Any:
    """The data of a record file brought up to `SCHEMA_VERSION` by the steps of `UPGRADES`, each
    field it leaves out given its default of the file's version (`record_defaults.FROZEN`); data
    of a newer version than this thesislab knows is a `ThesislabError`. Data that is not an object
    is returned as it is, for validation to reject."""
    if not isinstance(data, dict):
        return data
    version = data.get("schema_version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        return data
    if version > SCHEMA_VERSION:
        raise ThesislabError(
            f"expected schema version {SCHEMA_VERSION} or older, received {version} "
            "(written by a newer thesislab)"
        )
    data = filled(data, str(data.get("kind")), version)
    while version < SCHEMA_VERSION:
        data = {**UPGRADES[version](data), "schema_version": version + 1}
        version += 1
        data = filled(data, str(data.get("kind")), version)
    return data


def json_schema() -> dict[str, Any]:
    """The published JSON Schema of a record file."""
    schema = RECORD_ADAPTER.json_schema()
    schema["title"] = f"thesislab result record (schema version {SCHEMA_VERSION})"
    return schema


# Fields that vary between seeds (or runs) of one configuration.
_PER_RUN_FIELDS = {
    "seed",
    "accuracy",
    "validation_accuracy",
    "epochs",
    "training_time_s",
    "images_per_s",
    "history",
    "weights_path",
    "environment",
    "created_at",
}


def configuration_id(model: ModelRecord) -> str:
    """The id shared by all seeds of one model configuration."""
    shared = model.model_dump(mode="json", exclude=_PER_RUN_FIELDS)
    return record_id(ModelRecord.model_validate(shared))
