"""The contract between planning and the stages: a job, and each stage's parameters as a model.

The planner (`plan`) fills one parameter model per job from the study; the stage function of
the job's stage (`stages`) reads it. A job's stage is that of its parameters, named as the
records name what a job makes (`records.Stage`: trained, pruned, fine_tuned, retrained), and
`untrained`, `convert`, `bench`.

The key of a job hashes its stage, its parameters (as JSON, the fields that are None or at their
default left out) and the keys of the jobs it depends on, so a job's key changes exactly when
something that feeds it changes, and an unchanged job is found done in the ledger and skipped. A
field added to a stage's parameters takes as its default what its jobs did before it existed,
which keeps the keys already in ledgers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from thesislab.deploy.convert import IoDtype
from thesislab.keys import SPACED, content_key
from thesislab.models.spec import ArchSpec, ParamValue
from thesislab.records import FollowUp, Protocol, Quantization, Stage
from thesislab.training_recipe import KdLambda, Temperature

JobStage = Literal[Stage, "untrained", "convert", "bench"]
"""What a job does: make a model of a stage (`untrained`: built, never trained), convert one
model, or measure the artifacts of an entry."""

TRAINING_STAGES: frozenset[JobStage] = frozenset({"trained", "pruned", "fine_tuned", "retrained"})
"""The stages that train a network (a GPU helps)."""

_KEY_SPELLING: dict[JobStage, str] = {
    "trained": "train",
    "pruned": "prune",
    "fine_tuned": "fine_tune",
    "retrained": "retrain",
}
"""How job keys spell these stages: the names they were first made with, kept so that the keys
already in ledgers stay valid."""


class StageParams(BaseModel):
    """The parameters of one job of a stage."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stage: ClassVar[JobStage]

    def key_content(self) -> dict[str, Any]:
        """The parameters as a job key hashes them: JSON, the fields that are None or at their
        default left out."""
        data = self.model_dump(mode="json", by_alias=True)
        for name, info in type(self).model_fields.items():
            key = info.serialization_alias or name
            value = data[key]
            if value is None or (
                not info.is_required() and value == info.get_default(call_default_factory=True)
            ):
                del data[key]
        return data


class TrainParams(StageParams):
    """Train an entry from scratch, or distil it from the model of the job it depends on."""

    stage: ClassVar[JobStage] = "trained"

    name: str
    arch: ArchSpec
    recipe: dict[str, Any] = Field(
        description="The study recipe with the entry's overrides, a preset named as given."
    )
    seed: int
    data: str
    kd_lambda: KdLambda | None = Field(default=None, description="Distillation only.")
    temperature: Temperature | None = Field(
        default=None, serialization_alias="kd_temperature", description="Distillation only."
    )

    @property
    def recipe_with_seed(self) -> dict[str, Any]:
        """The recipe's fields, the job's seed among them."""
        return {**self.recipe, "seed": self.seed}


class UntrainedParams(StageParams):
    """Build an entry with random weights drawn from a seed."""

    stage: ClassVar[JobStage] = "untrained"

    name: str
    arch: ArchSpec
    seed: int


class PruneParams(StageParams):
    """Prune the model of the job it depends on towards one target."""

    stage: ClassVar[JobStage] = "pruned"

    method: str
    target: dict[str, float | str] = Field(description="One budget (`studies.spec.PruneTarget`).")
    settings: dict[str, Any]
    data: str
    name: str | None = None


class FollowUpParams(StageParams):
    """Train the pruned network of the job it depends on with a recipe."""

    stage: ClassVar[FollowUp]

    recipe: dict[str, Any] = Field(description="Recipe fields, the seed among them.")
    data: str


class FineTuneParams(FollowUpParams):
    """Train the pruned weights on: `recipe` overrides the fine-tuning recipe."""

    stage: ClassVar[FollowUp] = "fine_tuned"


class RetrainParams(FollowUpParams):
    """Train the pruned architecture from scratch with the recipe that trained its parent."""

    stage: ClassVar[FollowUp] = "retrained"

    arch_params: dict[str, ParamValue] = Field(
        default_factory=dict,
        description="Family parameters the retrained network takes in place of the pruned "
        "one's (`prune.run.retrained_architecture`).",
    )


class ConvertParams(StageParams):
    """Convert the model of the job it depends on to TFLite."""

    stage: ClassVar[JobStage] = "convert"

    quantization: Quantization
    representative_size: int
    data: str
    int8_io: IoDtype = Field(
        default="int8", description="Full int8's input and output tensors (the thesis's: uint8)."
    )


class BenchParams(StageParams):
    """Measure the artifacts of the jobs it depends on on one device."""

    stage: ClassVar[JobStage] = "bench"

    device: str
    protocol: Protocol = Field(description="The protocol resolved: its preset's every field.")


Params = TypeVar("Params", bound=StageParams)


@dataclass(frozen=True)
class Job:
    """One unit of work: a stage applied to the outputs of the jobs it depends on."""

    key: str
    label: str
    params: StageParams
    deps: tuple[str, ...] = ()
    device: str | None = field(default=None, metadata={"doc": "Device locked while it runs."})

    @classmethod
    def of(
        cls,
        label: str,
        params: StageParams,
        deps: tuple[str, ...] = (),
        device: str | None = None,
    ) -> Job:
        """The job of `params` after `deps`, keyed by them."""
        return cls(job_key(params, deps), label, params, deps, device)

    @property
    def stage(self) -> JobStage:
        """What the job does: the stage of its parameters."""
        return self.params.stage

    def params_of(self, kind: type[Params]) -> Params:
        """The parameters, as the stage function of `kind` reads them."""
        if not isinstance(self.params, kind):
            raise TypeError(f"job {self.label!r}: expected {kind.__name__}, has {self.params!r}")
        return self.params


def job_key(params: StageParams, deps: tuple[str, ...]) -> str:
    """The hash of everything that determines a job's result."""
    stage = _KEY_SPELLING.get(params.stage, params.stage)
    content = {"stage": stage, "params": params.key_content(), "deps": list(deps)}
    return content_key(content, 16, SPACED)
