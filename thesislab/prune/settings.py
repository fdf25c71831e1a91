"""The settings of each pruning method: what a study or `thesislab prune --set` may give, checked
and completed with the defaults.

They live apart from the methods (which import Keras) so that a study is checked without loading
TensorFlow; `methods.METHODS` pairs each with the function that runs it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from thesislab.train.recipe import FINE_TUNING
from thesislab.training_recipe import CropFill, Recipe


class Settings(BaseModel):
    """Settings every method accepts."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int = Field(default=0, ge=0, description="Seed of batches and random choices.")


class SearchSettings(Settings):
    """Settings of the methods that train during the search (by default the thesis's
    fine-tuning, `recipe.FINE_TUNING`: SGD with momentum, without Nesterov, at a constant rate)."""

    learning_rate: float = Field(default=FINE_TUNING["learning_rate"], gt=0.0)
    momentum: float = Field(default=Recipe.model_fields["momentum"].default, ge=0.0, lt=1.0)
    weight_decay: float = Field(default=FINE_TUNING["weight_decay"], ge=0.0)
    batch_size: int | None = Field(default=None, ge=1, description="Default: the model's.")
    crop_fill: CropFill | None = Field(
        default=None,
        description="The crops' padding; default: the model's (Crowley et al.'s pruning: zeros).",
    )


class UniformSettings(Settings):
    """Uniform pruning has no settings beyond the common ones."""


class RandomSettings(Settings):
    """Where the per-layer widths come from."""

    like: str | None = Field(
        default=None,
        description="A pruned model id, or a method name (its result for the same parent and "
        "target); default: the uniform widths.",
    )


NegativeSavings = Literal["skip", "divide"]
"""How a normalised saliency treats a removal that saves nothing (see `normalized_score`)."""


class FisherSettings(SearchSettings):
    """Fisher pruning's settings (defaults: Crowley et al.'s)."""

    prune_every: int = Field(default=100, ge=1, description="Training steps between removals.")
    normalize: Literal["none", "params", "macs", "latency_ms"] = Field(
        default="none", description="Divide saliency by the cost a removal saves."
    )
    device: str | None = Field(
        default=None, description="Device of the latency table (default: the target's)."
    )
    layers: Literal["all", "block_internal"] = Field(
        default="all",
        description="Which prunable layers lose channels (Crowley's: block_internal).",
    )
    tied: Literal["mask", "mean"] = Field(
        default="mask",
        description="A tied layer's saliency: its shared mask's, or the mean over its places.",
    )
    negative_savings: NegativeSavings = Field(
        default="skip",
        description="With normalize, a removal saving nothing: never chosen, or divided by.",
    )
    channels_removed: int | None = Field(
        default=None, ge=1, description="Channels to remove at least, besides meeting the target."
    )
    freeze_pruned: bool = Field(
        default=False,
        description="Stop training the layers a removal narrows (those producing the channel, "
        "its batch normalisations, those it enters), as the table-driven thesis run did.",
    )


Variant = Literal["thesislab", "thesis2019"]
Criterion = Literal["l2", "fisher"]
DEFAULT_CRITERION: dict[Variant, Criterion] = {"thesislab": "l2", "thesis2019": "fisher"}


class NetAdaptSettings(SearchSettings):
    """NetAdapt's settings (defaults: the thesis's, with thesislab's `variant`)."""

    init_red_fact: float = Field(
        default=20.0, gt=1.0, description="The first iteration removes 1/init_red_fact of the way."
    )
    decay_rate: float = Field(default=0.98, gt=0.0, le=1.0)
    allow_small: bool = Field(
        default=False, description="Also propose layers that cannot meet the reduction."
    )
    criterion: Criterion | None = Field(
        default=None, description="Channel score; default: l2 (thesislab), fisher (thesis2019)."
    )
    short_term_steps: int = Field(default=100, ge=1, description="Fine-tuning of each proposal.")
    holdout: float = Field(
        default=0.1, gt=0.0, lt=1.0, description="Fraction of training images held out."
    )
    variant: Variant = Field(
        default="thesislab", description="Proposal rule and schedule; see the module docstring."
    )

    @property
    def score(self) -> Criterion:
        """The criterion, or the variant's default."""
        return self.criterion or DEFAULT_CRITERION[self.variant]


Regularizer = Literal["gamma", "group_lasso"]


class MorphNetSettings(SearchSettings):
    """MorphNet's settings."""

    learning_rate: float = Field(default=0.01, gt=0.0)
    strength: float = Field(default=1.0, ge=0.0, description="Regulariser weight.")
    threshold: float = Field(
        default=0.01, gt=0.0, description="Norm under which a channel is dead."
    )
    steps: int = Field(default=1000, ge=1, description="Regularised training steps.")
    update_every: int = Field(default=100, ge=1, description="Steps between cost updates.")
    resource: Literal["channels", "params", "macs", "latency_ms"] | None = Field(
        default=None, description="What the regulariser targets; default: the target's metric."
    )
    regularizer: Regularizer = Field(
        default="gamma", description="The norm: batch-norm scales, or filters' group lasso."
    )
    weights: Literal["share", "flops"] = Field(
        default="share", description="A channel's cost as a share of the total, or in FLOPs."
    )
    from_scratch: bool = Field(
        default=False,
        description="Train a fresh network for the parent's whole recipe (its epochs, rates and "
        "batch size; steps and the search's rates are then unused).",
    )
    factor: float | None = Field(
        default=None, gt=0.0, description="Multiply the alive widths (default: to the budget)."
    )
    widen: float | None = Field(
        default=None,
        gt=0.0,
        description="With from_scratch: train a network of the parent's widths times this, "
        "rounded down and not capped (the thesis's second pass: 1.8 on a first pass's result).",
    )

    @model_validator(mode="after")
    def _widen_trains_from_scratch(self) -> MorphNetSettings:
        if self.widen is not None and not self.from_scratch:
            raise ValueError(f"expected from_scratch with widen {self.widen}, received none")
        return self
