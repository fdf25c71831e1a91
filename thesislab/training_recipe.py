"""The training recipe's schema: every hyperparameter of a training run, in one object.

The defaults are thesislab's own: 200 epochs of SGD with Nesterov momentum 0.9, batch 128,
learning rate 0.1 on a per-step cosine schedule, weight decay 1e-4 on kernels, random crops from
images padded by 4 pixels (reflection) and horizontal flips, inputs normalised with the thesis's
CIFAR-10 channel statistics, epochs of full batches only, bfloat16 on a GPU. Every model record
keeps the recipe that trained it (`records.TrainingRecipe`); `train.recipe` loads one from a
preset, a file and options.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Precision = Literal["auto", "float32", "bfloat16"]
Schedule = Literal["cosine", "cosine_per_epoch", "constant", "multistep"]
DecayScope = Literal["kernels", "thesis2019", "all"]
CropOffsets = Literal["inclusive", "exclusive"]
CropFill = Literal["reflect", "zeros"]
LastBatch = Literal["drop", "keep"]


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
    crop_fill: CropFill = Field(
        default="reflect",
        description="What pads an image before a crop: its reflection (OpenCV's reflect-101), "
        "or black pixels (torchvision's RandomCrop with padding).",
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
    last_batch: LastBatch = Field(
        default="drop",
        description="drop: an epoch is the full batches of the shuffled images; keep: and one "
        "more of the images left over (PyTorch's and Keras's epochs: 391 steps of 50,000 images "
        "at batch 128).",
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

    def steps_per_epoch(self, images: int) -> int:
        """Training steps in an epoch over `images` images (see `last_batch`)."""
        full, left = divmod(images, self.batch_size)
        return full + (1 if left and self.last_batch == "keep" else 0)

    def images_per_epoch(self, images: int) -> int:
        """How many of `images` images an epoch trains on."""
        return min(images, self.steps_per_epoch(images) * self.batch_size)

    @property
    def peak_learning_rate(self) -> float:
        """The learning rate after warm-up, scaled linearly to the batch size."""
        return self.learning_rate * self.batch_size / self.base_batch_size
