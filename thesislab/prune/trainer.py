"""Training during a pruning search: short fine-tunes of a masked network that also accumulate
each channel's Fisher saliency, with an optional penalty on batch-normalisation scales.

A `SearchTrainer` owns a masked view (`masking.MaskedNetwork`), an SGD optimizer on the recipe's
(constant) learning rate and the training images. One step draws a batch (shuffled passes over the
split, flips and crops as the recipe says), minimises cross-entropy plus the penalty, and adds, for
every mask input, the Fisher signal of Theis et al. (2018)::

    Δ_k = 1/2 · mean over images n of g_nk²,   g_nk = Σ_ij a_nkij · ∂(−log q(y_n | x_n)) / ∂a_nkij

where g_nk is the gradient of image n's loss with respect to its mask entry k. `fisher()` returns
the sum of Δ over the steps since `reset_fisher()`. The backend-specific part, how gradients are
taken, lives in `trainer_tensorflow` and `trainer_jax`; `make_trainer` picks one.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
from keras import ops

from thesislab.data import Split
from thesislab.errors import ThesislabError
from thesislab.prune.masking import MaskedNetwork
from thesislab.train.augment import draw
from thesislab.train.engine import make_optimizer
from thesislab.train.recipe import Recipe


@dataclass(frozen=True)
class Penalty:
    """A weighted sum over prunable layers of Σ_k max_b |gamma_bk| (MorphNet's regulariser with
    the L∞ grouping of tied layers): `scales[g]` are positions in the model's trainable variables
    of the batch-normalisation scales of group g; each step takes the weights as an input."""

    scales: tuple[tuple[int, ...], ...]

    def __call__(self, variables: Sequence[Any], weights: Any) -> Any:
        total = ops.zeros(())
        for group, positions in enumerate(self.scales):
            stacked = ops.stack([ops.abs(variables[position]) for position in positions])
            total = total + weights[group] * ops.sum(ops.max(stacked, axis=0))
        return total


class SearchTrainer(abc.ABC):
    """A masked network, its optimizer and training images; see the module docstring."""

    def __init__(
        self, masked: MaskedNetwork, recipe: Recipe, train: Split, penalty: Penalty | None
    ) -> None:
        if len(train) < recipe.batch_size:
            raise ThesislabError(
                f"pruning: batch size {recipe.batch_size} is larger than the {len(train)} "
                "training images"
            )
        self.masked = masked
        self.model = masked.model
        self.recipe = recipe
        self.train = train
        self.penalty = penalty
        self.optimizer = make_optimizer(recipe, steps_per_epoch=1)
        self.optimizer.build(self.model.trainable_variables)
        self.decay = [
            recipe.weight_decay if len(variable.shape) >= 2 else 0.0
            for variable in self.model.trainable_variables
        ]
        self.masks = [np.ones(width, dtype=np.float32) for width in masked.widths]
        self.penalty_weights = np.zeros(len(penalty.scales) if penalty else 1, dtype=np.float32)
        self.steps = 0
        """Steps since the last `reset_fisher`."""
        self._rng = np.random.default_rng(recipe.seed)
        self._order = np.zeros(0, dtype=np.int32)

    def set_mask(self, group: int, mask: np.ndarray) -> None:
        """The 0/1 mask of prunable layer `group` (one of the view's mask inputs)."""
        self.masks[self.masked.groups.index(group)] = mask.astype(np.float32)

    def run(self, steps: int) -> None:
        """Train `steps` batches."""
        size = self.recipe.batch_size
        for _ in range(steps):
            if len(self._order) < size:
                self._order = self._rng.permutation(len(self.train)).astype(np.int32)
            indices, self._order = self._order[:size], self._order[size:]
            offsets, flips = draw(self._rng, size, self.recipe.crop_padding, self.recipe.flip)
            self.step(indices, offsets, flips)
            self.steps += 1

    def decayed(self, gradients: Sequence[Any], variables: Sequence[Any]) -> list[Any]:
        """Gradients with the L2 weight-decay term `decay · w` added."""
        return [
            gradient + decay * variable if decay else gradient
            for gradient, variable, decay in zip(gradients, variables, self.decay, strict=True)
        ]

    def penalty_value(self, variables: Sequence[Any], weights: Any) -> Any:
        """The penalty term of the loss (0 without a penalty)."""
        return ops.zeros(()) if self.penalty is None else self.penalty(variables, weights)

    def accuracy(self, split: Split) -> float:
        """The fraction of `split` the masked network classifies correctly."""
        size = self.recipe.batch_size
        correct = 0
        for start in range(0, len(split), size):
            images = split.images[start : start + size]
            padding = np.zeros((size - len(images), *images.shape[1:]), dtype=images.dtype)
            predicted = self.predict(np.concatenate([images, padding]))[: len(images)]
            correct += int(np.sum(predicted == split.labels[start : start + len(images)]))
        return correct / len(split)

    def reset_fisher(self) -> None:
        """Start accumulating the Fisher signal anew."""
        self.steps = 0
        self.clear_fisher()

    @abc.abstractmethod
    def step(self, indices: np.ndarray, offsets: np.ndarray, flips: np.ndarray) -> None:
        """One optimisation step on the training images at `indices`."""

    @abc.abstractmethod
    def fisher(self) -> list[np.ndarray]:
        """Per mask input, the summed Fisher signal of each channel since the last reset."""

    @abc.abstractmethod
    def clear_fisher(self) -> None:
        """Zero the Fisher sums."""

    @abc.abstractmethod
    def predict(self, images: np.ndarray) -> np.ndarray:
        """Predicted classes of `recipe.batch_size` uint8 images, under the current masks."""

    @abc.abstractmethod
    def state(self) -> list[np.ndarray]:
        """Model and optimizer variables, as arrays."""

    @abc.abstractmethod
    def load_state(self, arrays: list[np.ndarray]) -> None:
        """Restore what `state` returned."""

    @abc.abstractmethod
    def sync(self) -> None:
        """Make the Keras variables hold the trained values."""


def make_trainer(
    masked: MaskedNetwork, recipe: Recipe, train: Split, penalty: Penalty | None = None
) -> SearchTrainer:
    """The trainer of the current Keras backend (TensorFlow or JAX)."""
    backend = keras.backend.backend()
    if backend == "jax":
        from thesislab.prune.trainer_jax import JaxTrainer

        return JaxTrainer(masked, recipe, train, penalty)
    if backend == "tensorflow":
        from thesislab.prune.trainer_tensorflow import TensorflowTrainer

        return TensorflowTrainer(masked, recipe, train, penalty)
    raise ThesislabError(f"pruning needs the tensorflow or jax Keras backend, found {backend!r}")
