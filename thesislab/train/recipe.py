"""The training recipe: every hyperparameter of a training run, in one object.

The defaults are thesislab's own: 200 epochs of SGD with Nesterov momentum 0.9, batch 128,
learning rate 0.1 on a per-step cosine schedule, weight decay 1e-4 on kernels, random crops from
images padded by 4 pixels (reflection) and horizontal flips, inputs normalised with the thesis's
CIFAR-10 channel statistics. The thesis's own recipes are named presets (`presets`): `thesis2019`
is the Keras recipe of its architecture study. A recipe is saved in every model record, and with
the architecture and the data fingerprint it decides the run key under which an interrupted run
resumes.

Start from a preset or the defaults, then override fields from a YAML file, then from
command-line options::

    preset: thesis2019        # optional
    epochs: 30
    batch_size: 512
    learning_rate: 0.1        # at base_batch_size; scaled linearly to batch_size
    warmup_epochs: 5
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from thesislab.errors import ThesislabError
from thesislab.presets import merged, overridden, preset_named

Precision = Literal["auto", "float32", "bfloat16"]
Schedule = Literal["cosine", "cosine_per_epoch", "constant", "multistep"]
DecayScope = Literal["kernels", "thesis2019", "all"]
CropOffsets = Literal["inclusive", "exclusive"]


KdLambda = Annotated[float, Field(ge=0.0, le=1.0, description="Weight of the label loss.")]
Temperature = Annotated[float, Field(gt=0.0, description="Softening temperature T.")]
KD_LAMBDA = 0.2
TEMPERATURE = 2.0
"""The distillation defaults (the thesis's): wherever distillation is asked for (a recipe, a
study's train stage, the command line), these are its settings unless given."""


class Distillation(BaseModel):
    """Knowledge distillation from a stored teacher model."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    teacher_id: str = Field(description="Id of the teacher's model record.")
    kd_lambda: KdLambda = KD_LAMBDA
    temperature: Temperature = TEMPERATURE


class Recipe(BaseModel):
    """How to train a network. The defaults are thesislab's own; the preset `thesis2019` is the
    thesis's Keras recipe (see `presets`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str | None = Field(default=None, description="The preset the recipe starts from.")
    epochs: int = Field(default=200, ge=1)
    batch_size: int = Field(default=128, ge=1)
    learning_rate: float = Field(default=0.1, gt=0.0, description="Peak rate at base_batch_size.")
    base_batch_size: int = Field(
        default=128, ge=1, description="Batch size of learning_rate: the rate scales linearly."
    )
    warmup_epochs: float = Field(default=0.0, ge=0.0, description="Linear warm-up from zero.")
    schedule: Schedule = Field(
        default="cosine",
        description="cosine: to zero, step by step; cosine_per_epoch: 0.5·(1 + cos(π·e/epochs)) "
        "through epoch e; constant; multistep: × gamma from each milestone epoch on.",
    )
    milestones: tuple[int, ...] = Field(
        default=(), description="Multistep: the epochs (counted from 0) where the rate drops."
    )
    gamma: float = Field(default=0.1, gt=0.0, le=1.0, description="Multistep: the drop factor.")
    momentum: float = Field(default=0.9, ge=0.0, lt=1.0)
    nesterov: bool = True
    weight_decay: float = Field(default=1e-4, ge=0.0, description="L2 decay, in the gradient.")
    weight_decay_scope: DecayScope = Field(
        default="kernels",
        description="kernels: every variable of rank >= 2; thesis2019: the thesis's regularised "
        "layers (conv and dense kernels, dense biases, batch-norm γ/β; no depthwise or separable "
        "kernels); all: every trainable variable.",
    )
    bn_momentum: float | None = Field(
        default=None, gt=0.0, lt=1.0, description="Batch-norm momentum; None: the zoo's default."
    )
    bn_epsilon: float | None = Field(
        default=None, gt=0.0, description="Batch-norm epsilon; None: the zoo's default."
    )
    label_smoothing: float = Field(default=0.0, ge=0.0, lt=1.0)
    crop_padding: int = Field(default=4, ge=0, description="Random crops of reflect-padded images.")
    crop_offsets: CropOffsets = Field(
        default="inclusive",
        description="inclusive: shifts -p..+p; exclusive: -p..p-1 (2p offsets per axis).",
    )
    flip: bool = Field(default=True, description="Random horizontal flips.")
    mean: tuple[float, float, float] = Field(
        default=(125.3, 123.0, 113.9), description="Per-channel input mean, in pixel values."
    )
    std: tuple[float, float, float] = Field(
        default=(63.0, 62.1, 66.7), description="Per-channel input standard deviation."
    )
    precision: Precision = Field(
        default="auto", description="auto = bfloat16 on a GPU, float32 elsewhere."
    )
    seed: int = Field(default=0, ge=0)
    validation_size: int = Field(
        default=0, ge=0, description="Training images held out for validation (thesis: 5000)."
    )
    distillation: Distillation | None = None

    @model_validator(mode="after")
    def _milestones_fit_the_schedule(self) -> Recipe:
        if self.schedule == "multistep" and not self.milestones:
            raise ValueError("expected milestones with the multistep schedule, received none")
        if list(self.milestones) != sorted(set(self.milestones)):
            raise ValueError(f"expected increasing milestones, received {list(self.milestones)}")
        return self

    @property
    def crop_positions(self) -> int:
        """How many crop offsets each axis draws from (0 .. crop_positions - 1)."""
        positions = 2 * self.crop_padding + 1
        return (
            positions - 1 if self.crop_offsets == "exclusive" and self.crop_padding else positions
        )

    @property
    def peak_learning_rate(self) -> float:
        """The learning rate after warm-up, scaled linearly to the batch size."""
        return self.learning_rate * self.batch_size / self.base_batch_size


FINE_TUNING: dict[str, Any] = {
    "epochs": 20,
    "learning_rate": 8e-4,
    "schedule": "constant",
    "weight_decay": 5e-4,
}
"""What fine-tuning changes in the default recipe: the thesis's 20 epochs at a constant 8e-4,
weight decay 5e-4 (the training of pruning searches takes the same rate and decay)."""


def load_recipe(path: Path | None = None, **overrides: Any) -> Recipe:
    """The default recipe, or the preset named by a `preset` key (of `overrides`, else of the
    file), updated from a YAML file, then from the `overrides` that are not None
    (`presets.overridden`: ``distillation={"temperature": 4}`` keeps the file's teacher)."""
    import yaml

    from thesislab.train.presets import PRESETS

    values: dict[str, Any] = {}
    origin = "recipe options"
    if path is not None:
        origin = str(path)
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as error:
            reason = str(error).splitlines()[0]
            raise ThesislabError(f"{path}: expected a readable YAML recipe ({reason})") from None
        if not isinstance(loaded, dict):
            raise ThesislabError(
                f"{path}: expected a mapping of recipe fields, found {type(loaded).__name__}"
            )
        values.update(loaded)
    overrides = dict(overrides)
    file_preset = values.pop("preset", None)
    preset = overrides.pop("preset", None) or file_preset
    try:
        base = Recipe() if preset is None else preset_named(PRESETS, str(preset), "recipe")
        return overridden(base, merged(values, overrides), "recipe")
    except ThesislabError as error:
        raise ThesislabError(f"{origin}: {error}") from None


def retraining_recipe(parent: dict[str, Any]) -> dict[str, Any]:
    """The recipe of retraining a pruned network: the recipe (and seed) that trained its parent,
    on every training image (the thesis held images out for its pruning searches only)."""
    return {**parent, "validation_size": 0}


def fine_tuning_recipe(overrides: dict[str, Any] | None = None) -> Recipe:
    """The recipe of fine-tuning: `FINE_TUNING` updated by `overrides` (any recipe fields), in
    float32, the precision of the weights it trains on."""
    return load_recipe(None, **{**FINE_TUNING, **(overrides or {}), "precision": "float32"})
