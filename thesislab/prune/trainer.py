"""Training during a pruning search: short fine-tunes of a masked network that also accumulate
each channel's Fisher saliency, with an optional penalty on batch-normalisation scales or
convolution filters.

A `SearchTrainer` is the training engine (`thesislab.train.engine`, on the recipe's constant
learning rate, or given `steps_per_epoch` on a whole recipe's schedule) extended with the masked
view's channel masks (`masking.MaskedNetwork`), the Fisher sums and the penalty. One step draws a
batch (shuffled passes over the split, flips and crops as the recipe says), minimises
cross-entropy plus the penalty, and adds, for every mask input, the Fisher signal of Theis et al.
(2018)::

    Δ_k = 1/2 · mean over images n of g_nk²,   g_nk = Σ_ij a_nkij · ∂(−log q(y_n | x_n)) / ∂a_nkij

where g_nk is the gradient of image n's loss with respect to its mask entry k. `fisher()` returns
the sum of Δ over the steps since `reset_fisher()`. A trainer built with `freezing` also stops
training the variables it is told to (`freeze`), as the thesis's table-driven Fisher pruning
stopped training the layers it rebuilt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from keras import ops

from thesislab.data import Split
from thesislab.errors import ThesislabError
from thesislab.prune.masking import MaskedNetwork
from thesislab.train.augment import draw
from thesislab.train.engine import StepExtension, engine_class
from thesislab.training_recipe import Recipe

RMS_EPSILON = 1e-12
"""Added under the square root of a filter's mean square: a zero filter's gradient is finite."""


@dataclass(frozen=True)
class Penalty:
    """A weighted sum over prunable layers of Σ_k max_b n_bk (MorphNet's regulariser with the L∞
    grouping of tied layers): `scales[g]` are positions in the model's trainable variables of
    group g's batch-normalisation scales (``norm="abs"``: n_bk = |gamma_bk|, MorphNet's gamma
    regulariser) or of the kernels of the convolutions producing its channels (``norm="rms"``:
    n_bk the root mean square of output channel k's filter, MorphNet's group lasso); each step
    takes the weights as an input."""

    scales: tuple[tuple[int, ...], ...]
    norm: Literal["abs", "rms"] = "abs"

    def _norms(self, variable: Any) -> Any:
        if self.norm == "abs":
            return ops.abs(variable)
        axes = tuple(range(len(variable.shape) - 1))
        return ops.sqrt(ops.mean(ops.square(variable), axis=axes) + RMS_EPSILON)

    def __call__(self, variables: Sequence[Any], weights: Any) -> Any:
        total = ops.zeros(())
        for group, positions in enumerate(self.scales):
            if not positions:  # nothing the norm reaches: a removed block, a stage without BN
                continue
            stacked = ops.stack([self._norms(variables[position]) for position in positions])
            total = total + weights[group] * ops.sum(ops.max(stacked, axis=0))
        return total


class SearchTrainer(StepExtension):
    """A masked network's training engine, its masks, Fisher sums and penalty; see the module
    docstring."""

    def __init__(
        self,
        masked: MaskedNetwork,
        recipe: Recipe,
        train: Split,
        penalty: Penalty | None = None,
        steps_per_epoch: int = 1,
        freezing: bool = False,
    ) -> None:
        if len(train) < recipe.batch_size:
            raise ThesislabError(
                f"pruning: batch size {recipe.batch_size} is larger than the {len(train)} "
                "training images"
            )
        self.masked = masked
        self.recipe = recipe
        self.train = train
        self.penalty_term = penalty
        self.masks = [np.ones(width, dtype=np.float32) for width in masked.widths]
        self.penalty_weights = np.zeros(len(penalty.scales) if penalty else 1, dtype=np.float32)
        self.freezing = freezing
        self.variables = list(masked.model.trainable_variables)
        self.frozen_flags = np.zeros(len(self.variables), dtype=np.float32)
        """1 for each trainable variable that `freeze` stopped (with `freezing` only)."""
        self.steps = 0
        """Steps since the last `reset_fisher`."""
        self._rng = np.random.default_rng(recipe.seed)
        self._order = np.zeros(0, dtype=np.int32)
        self.engine = engine_class()(
            masked.model, None, recipe, train, steps_per_epoch, extension=self
        )

    # The step extension: masks in, a penalty on the loss, Fisher sums out.

    def arguments(self) -> list[np.ndarray]:
        return [*self.masks, self.penalty_weights, self.frozen_flags]

    def probes(self, arguments: Sequence[Any]) -> list[Any]:
        size = self.recipe.batch_size
        masks = arguments[: len(self.masks)]
        return [ops.broadcast_to(mask[None], (size, mask.shape[0])) for mask in masks]

    def penalty(self, trainable: Sequence[Any], arguments: Sequence[Any]) -> Any | None:
        if self.penalty_term is None:
            return None
        return self.penalty_term(trainable, arguments[len(self.masks)])

    def frozen(self, arguments: Sequence[Any]) -> Any | None:
        return arguments[len(self.masks) + 1] if self.freezing else None

    def sum_shapes(self) -> list[tuple[int, ...]]:
        return [(width,) for width in self.masked.widths]

    def increments(self, probe_gradients: Sequence[Any]) -> list[Any]:
        size = float(self.recipe.batch_size)
        return [0.5 * ops.mean(ops.square(gradient * size), axis=0) for gradient in probe_gradients]

    # The search's use of it.

    def set_mask(self, group: int, mask: np.ndarray) -> None:
        """The 0/1 mask of prunable layer `group` (every view mask input of it)."""
        for position, owner in enumerate(self.masked.groups):
            if owner == group:
                self.masks[position] = mask.astype(np.float32)

    def freeze(self, variables: Sequence[Any]) -> None:
        """Stop training `variables` (of the masked network): later steps leave them as they are
        (needs `freezing`)."""
        if not self.freezing:
            raise ThesislabError("search trainer: expected one built with freezing to freeze")
        for variable in variables:
            position = next(i for i, known in enumerate(self.variables) if known is variable)
            self.frozen_flags[position] = 1.0

    def run(self, steps: int) -> None:
        """Train `steps` batches."""
        size = self.recipe.batch_size
        for _ in range(steps):
            if len(self._order) < size:
                self._order = self._rng.permutation(len(self.train)).astype(np.int32)
            indices, self._order = self._order[:size], self._order[size:]
            offsets, flips = draw(self._rng, size, self.recipe.crop_positions, self.recipe.flip)
            self.engine.train_step(indices, offsets, flips)
            self.steps += 1

    def accuracy(self, split: Split) -> float:
        """The fraction of `split` the masked network classifies correctly."""
        return self.engine.accuracy(split)

    def fisher(self) -> list[np.ndarray]:
        """Per mask input, the summed Fisher signal of each channel since the last reset."""
        return self.engine.sums()

    def reset_fisher(self) -> None:
        """Start accumulating the Fisher signal anew."""
        self.steps = 0
        self.engine.reset_sums()

    def state(self) -> list[np.ndarray]:
        """Model and optimizer variables, as arrays."""
        return self.engine.state()

    def load_state(self, arrays: list[np.ndarray]) -> None:
        """Restore what `state` returned."""
        self.engine.load_state(arrays)

    def sync(self) -> None:
        """Make the Keras variables hold the trained values."""
        self.engine.sync_model()
