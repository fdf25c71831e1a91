"""Study specs (`experiments/<study>.yaml`): what to train, shrink, convert and measure.

A study names its data source, a base recipe, a grid of architectures (thesis names or explicit
specs) and seeds, and the stages to run for each entry. `defaults` apply to every entry; an entry
may override its recipe, its seeds and, stage by stage, its stages. A recipe may start from a
preset of `thesislab recipes list`: ``recipe: {preset: thesis2019, epochs: 30}``. This module is
the schema; `check` reads a study file and checks it whole before anything runs.

Example::

    name: quickstart
    data: sample
    recipe: {epochs: 2, batch_size: 64}
    defaults:
      seeds: [1]
      stages:
        train: {}
        convert: {quantization: [fp32, int8]}
        bench: {devices: [local], protocol: quick}
    architectures:
      - res_d10_w16
      - arch: mobilenetv2_d9_er4_w16_dropout
        recipe: {learning_rate: 0.05}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from thesislab.bench.protocol import DEFAULT_PRESET, PRESETS
from thesislab.deploy.artifacts import STUDY_REPRESENTATIVE_SIZE
from thesislab.deploy.convert import IoDtype
from thesislab.errors import ThesislabError
from thesislab.models.names import parse_name
from thesislab.models.spec import ArchSpec, ParamValue
from thesislab.presets import resolve_preset
from thesislab.prune.target import LATENCY_METRICS, METRICS
from thesislab.records import Protocol, Quantization
from thesislab.store import RESULTS_ROOT
from thesislab.train.recipe import FINE_TUNING
from thesislab.training_recipe import KD_LAMBDA, TEMPERATURE, KdLambda, Temperature

DEFAULT_QUANTIZATIONS: tuple[Quantization, ...] = ("fp32", "int8")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TrainStage(_Strict):
    """Train each entry from scratch (or distil it from a teacher entry of the study)."""

    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True)

    teacher: str | None = Field(default=None, description="Name of the teacher entry.")
    kd_lambda: KdLambda = KD_LAMBDA
    temperature: Temperature = Field(default=TEMPERATURE, alias="kd_temperature")


class UntrainedStage(_Strict):
    """Instead of training: build each entry with random weights drawn from each seed, to
    measure its architecture's latency (converted and benched as a trained model is; never an
    accuracy). See `thesislab.deploy.untrained`."""


class PruneTarget(_Strict):
    """A budget for a pruning method: a fraction of the unpruned network's cost to keep (its
    latency on a named device included), or a latency in milliseconds on a named device."""

    channels: float | None = Field(default=None, gt=0.0, lt=1.0)
    params: float | None = Field(default=None, gt=0.0, lt=1.0)
    macs: float | None = Field(default=None, gt=0.0, lt=1.0)
    latency: float | None = Field(default=None, gt=0.0, lt=1.0)
    latency_ms: float | None = Field(default=None, gt=0.0)
    device: str | None = None

    @model_validator(mode="after")
    def _exactly_one_budget(self) -> PruneTarget:
        given = [name for name in METRICS if getattr(self, name)]
        if len(given) != 1:
            raise ValueError(f"expected exactly one of {', '.join(METRICS)}; received {given}")
        if given[0] in LATENCY_METRICS and self.device is None:
            raise ValueError(f"a {given[0]} target needs the device it is measured on")
        return self


class PruneStage(_Strict):
    """Prune each trained entry with one method towards each target, then fine-tune and/or
    retrain the pruned architecture from scratch."""

    method: str = Field(description="A method of `thesislab.prune.methods.METHODS`.")
    name: str | None = Field(
        default=None,
        description="The pruned model's name (its fine-tuned and retrained children add "
        "'-fine-tuned', '-retrained'); a named stage has one target. Default: the parent's "
        "name, the method and the target.",
    )
    targets: list[PruneTarget] = Field(min_length=1)
    settings: dict[str, Any] = Field(default_factory=dict)
    fine_tune: bool = True
    fine_tune_recipe: dict[str, Any] = Field(
        default_factory=dict,
        description="Overrides of the fine-tuning recipe "
        f"({FINE_TUNING['epochs']} epochs at a constant {FINE_TUNING['learning_rate']:g}); a "
        "preset named here replaces it (the thesis's PyTorch fine-tuning: "
        "thesis2019-fine-tuning).",
    )
    retrain: bool = Field(
        default=True,
        description="Retrain the pruned architecture from scratch with the recipe that trained "
        "its parent, on every training image.",
    )
    retrain_recipe: dict[str, Any] = Field(
        default_factory=dict,
        description="Overrides of the retraining's recipe; a preset named here replaces the "
        "parent's recipe (the thesis retrained MorphNet's networks with thesis2019-pytorch).",
    )
    retrain_params: dict[str, ParamValue] = Field(
        default_factory=dict,
        description="Family parameters the retrained network takes in place of the pruned one's, "
        "its widths kept (the thesis retrained its pruned post-activation WideResNets as "
        "pre-activation ones: {block: preact}).",
    )
    start: str | None = Field(
        default=None,
        description="The name of an earlier prune stage of the entry whose pruned model this "
        "stage prunes (MorphNet's second pass); default: the trained model.",
    )

    @model_validator(mode="after")
    def _a_name_names_one_target(self) -> PruneStage:
        if self.name is not None and len(self.targets) != 1:
            raise ValueError(
                f"expected one target for the named stage {self.name!r}, "
                f"received {len(self.targets)}"
            )
        return self


class ConvertStage(_Strict):
    """Convert every model of the entry to TFLite with these quantizations."""

    quantization: list[Quantization] = Field(
        default_factory=lambda: list(DEFAULT_QUANTIZATIONS), min_length=1
    )
    representative_size: int = Field(
        default=STUDY_REPRESENTATIVE_SIZE,
        ge=1,
        description="Training images that calibrate full int8, drawn at random and taken in "
        "their order (all of them: the thesis's 50,000).",
    )
    int8_io: IoDtype = Field(
        default="int8", description="Full int8's input and output tensors (the thesis's: uint8)."
    )


class BenchStage(_Strict):
    """Measure every artifact of the entry on these devices, under a protocol preset (its name,
    or ``{preset: NAME, FIELD: VALUE, ...}`` to override fields of `thesislab protocols show`).
    A protocol timed against a reference network (`lut`) measures lookup tables, not a study."""

    devices: list[str] = Field(default_factory=lambda: ["local"], min_length=1)
    protocol: str | dict[str, Any] = DEFAULT_PRESET

    def resolved_protocol(self) -> Protocol:
        """The protocol the stage measures with, every field of its preset given."""
        chosen = self.protocol
        overrides = {} if isinstance(chosen, str) else dict(chosen)
        preset = chosen if isinstance(chosen, str) else overrides.pop("preset", None)
        if not isinstance(preset, str):
            raise ThesislabError(f"expected a 'preset' name, received {chosen!r}")
        protocol = resolve_preset(PRESETS, preset, overrides, "protocol", renamed="custom")
        if protocol.reference:
            raise ThesislabError(
                f"expected a protocol without a reference network, received {preset!r} "
                "(it times lookup tables: `thesislab lut`)"
            )
        return protocol


class Stages(_Strict):
    """The stages of one entry; a stage left out does not run."""

    train: TrainStage | None = None
    untrained: UntrainedStage | None = None
    prune: list[PruneStage] = Field(default_factory=list)
    convert: ConvertStage | None = None
    bench: BenchStage | None = None


class Defaults(_Strict):
    """What every entry gets unless it says otherwise."""

    seeds: list[int] = Field(default_factory=lambda: [1], min_length=1)
    stages: Stages = Field(default_factory=lambda: Stages(train=TrainStage()))


class Entry(_Strict):
    """One architecture of the grid."""

    arch: str | ArchSpec = Field(description="A thesis-style name or an explicit spec.")
    name: str | None = Field(default=None, description="Defaults to the thesis-style name.")
    seeds: list[int] | None = None
    recipe: dict[str, Any] = Field(default_factory=dict)
    stages: Stages | None = None

    @property
    def spec(self) -> ArchSpec:
        """The architecture spec (a name is parsed)."""
        return self.arch if isinstance(self.arch, ArchSpec) else parse_name(self.arch).spec

    @property
    def label(self) -> str:
        """The entry's name in records, plans and teacher references."""
        if self.name:
            return self.name
        return self.arch if isinstance(self.arch, str) else self.arch.family


def entry_data(entry: Any) -> Any:
    """An entry as written, a name standing for ``{arch: NAME}``."""
    return {"arch": entry} if isinstance(entry, str) else entry


def merged_stages(defaults: Defaults, entry: Entry) -> Stages:
    """The default stages, overridden stage by stage by those the entry names (an entry's
    `convert: null` drops an inherited stage)."""
    if entry.stages is None:
        return defaults.stages
    merged = {**defaults.stages.model_dump(), **entry.stages.model_dump(exclude_unset=True)}
    return Stages.model_validate(merged)


class Study(_Strict):
    """A whole study."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    data: str = Field(default="sample", description="A data source: 'sample', a path, ...")
    results: str | None = Field(default=None, description="Default: experiments/<name>.")
    recipe: dict[str, Any] = Field(default_factory=dict)
    defaults: Defaults = Field(default_factory=Defaults)
    architectures: list[Entry] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _entries_may_be_names(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("architectures"), list):
            data = {**data, "architectures": [entry_data(entry) for entry in data["architectures"]]}
        return data

    def seeds_of(self, entry: Entry) -> list[int]:
        """The entry's seeds, or the study's default seeds."""
        return entry.seeds or self.defaults.seeds

    def stages_of(self, entry: Entry) -> Stages:
        """The entry's stages (see `merged_stages`)."""
        return merged_stages(self.defaults, entry)

    def recipe_of(self, entry: Entry) -> dict[str, Any]:
        """The study recipe with the entry's overrides."""
        return {**self.recipe, **entry.recipe}

    def results_dir(self, study_file: Path | None = None) -> Path:
        """Where the study's records go."""
        if self.results:
            return Path(self.results)
        base = study_file.parent if study_file else RESULTS_ROOT
        return base / self.name
