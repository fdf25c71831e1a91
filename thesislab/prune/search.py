"""What every pruning method receives and returns, and the training settings of the searches.

A method gets a `Context` (the trained network to prune, its structure and starting widths, the
budget, the data) and its validated settings, and returns an `Outcome`: the channels to keep in
each prunable layer, the network whose weights they index (trained further by the search, or the
original), and a JSON-able history of its decisions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from rich.console import Console

from thesislab.models.plan import PrunableLayer
from thesislab.models.spec import ArchSpec
from thesislab.models.structure import Structure
from thesislab.prune.settings import SearchSettings
from thesislab.prune.target import Budget
from thesislab.training_recipe import Recipe

if TYPE_CHECKING:
    import keras

    from thesislab.data import ImageData


def search_recipe(settings: SearchSettings, trained_with: Recipe | None) -> Recipe:
    """The recipe of the search's training steps: constant learning rate, the model's
    augmentation and batch size unless the settings give them."""
    base = trained_with or Recipe()
    batch_size = settings.batch_size or base.batch_size
    return base.model_copy(
        update={
            "learning_rate": settings.learning_rate,
            "batch_size": batch_size,
            "base_batch_size": batch_size,
            "schedule": "constant",
            "warmup_epochs": 0.0,
            "momentum": settings.momentum,
            "nesterov": False,
            "weight_decay": settings.weight_decay,
            "label_smoothing": 0.0,
            "distillation": None,
            "seed": settings.seed,
            "crop_fill": settings.crop_fill or base.crop_fill,
        }
    )


@dataclass
class Context:
    """The trained network a method prunes, and what it prunes it towards."""

    record_id: str
    spec: ArchSpec
    structure: Structure
    widths: list[int]
    """The starting widths (those of `network`)."""
    network: keras.Model
    recipe: Recipe | None
    """The recipe the network was trained with, if its record holds one."""
    budget: Budget
    data: ImageData
    results_dir: Path
    console: Console = field(default_factory=Console)


@dataclass
class Outcome:
    """A method's result: channels to keep per prunable layer (indices into `network`)."""

    kept: list[np.ndarray]
    network: keras.Model
    history: list[Any] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    matched: bool = True
    """Whether the method sized the result to the target (False where its settings read the
    widths off as they are, as MorphNet's `factor` does: the target is then only recorded)."""


def minimum_width(group: PrunableLayer) -> int:
    """The narrowest a prunable layer may get: 0 (gone) if removable, else one step."""
    return 0 if group.removable else group.multiple_of


def narrowed(widths: Sequence[int], group: int, by: int) -> list[int]:
    """`widths` with prunable layer `group` narrowed by `by` channels."""
    changed = list(widths)
    changed[group] -= by
    return changed
