"""The pruning-search step under the JAX backend: a jitted pure function of the training state,
differentiated with respect to the weights and the mask inputs."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from thesislab.data import Split
from thesislab.prune.masking import MaskedNetwork
from thesislab.prune.trainer import Penalty, SearchTrainer
from thesislab.train.augment import augment
from thesislab.train.engine_jax import (
    State,
    read_state,
    state_arrays,
    state_from_arrays,
    write_state,
)
from thesislab.train.losses import cross_entropy
from thesislab.train.recipe import Recipe

Arrays = list[Any]


class JaxTrainer(SearchTrainer):
    """`SearchTrainer` whose steps are jitted pure functions of the training state."""

    def __init__(
        self, masked: MaskedNetwork, recipe: Recipe, train: Split, penalty: Penalty | None
    ) -> None:
        super().__init__(masked, recipe, train, penalty)
        self.images = jax.device_put(train.images)
        self.labels = jax.device_put(train.labels)
        self.variables: State = read_state(self.model, self.optimizer)
        self.sums = [jnp.zeros(width) for width in masked.widths]
        self._step = jax.jit(self._pure_step, donate_argnums=(0, 1))
        self._predict = jax.jit(self._classes)

    def _tiled(self, masks: Arrays) -> Arrays:
        return [jnp.broadcast_to(mask[None], (self.recipe.batch_size, len(mask))) for mask in masks]

    def _pure_step(
        self,
        variables: State,
        sums: Arrays,
        indices: Any,
        offsets: Any,
        flips: Any,
        masks: Arrays,
        weights: Any,
    ) -> tuple[State, Arrays]:
        trainable, non_trainable, optimizer_variables = variables
        pixels = augment(
            jnp.take(self.images, indices, axis=0), offsets, flips, self.recipe.crop_padding
        )
        labels = jnp.take(self.labels, indices, axis=0)

        def loss_of(trainable: Arrays, tiled: Arrays) -> tuple[Any, Arrays]:
            logits, updated = self.model.stateless_call(
                trainable, non_trainable, [pixels, *tiled], training=True
            )
            loss = cross_entropy(labels, logits, self.recipe.label_smoothing)
            return loss + self.penalty_value(trainable, weights), updated

        (_, non_trainable), (gradients, mask_gradients) = jax.value_and_grad(
            loss_of, argnums=(0, 1), has_aux=True
        )(trainable, self._tiled(masks))
        trainable, optimizer_variables = self.optimizer.stateless_apply(
            optimizer_variables, self.decayed(gradients, trainable), trainable
        )
        size = self.recipe.batch_size
        sums = [
            running + 0.5 * jnp.mean(jnp.square(gradient * size), axis=0)
            for running, gradient in zip(sums, mask_gradients, strict=True)
        ]
        return (trainable, non_trainable, optimizer_variables), sums

    def _classes(self, variables: State, images: Any, masks: Arrays) -> Any:
        trainable, non_trainable, _ = variables
        logits, _ = self.model.stateless_call(
            trainable, non_trainable, [images.astype("float32"), *self._tiled(masks)]
        )
        return jnp.argmax(logits, axis=-1)

    def step(self, indices: np.ndarray, offsets: np.ndarray, flips: np.ndarray) -> None:
        masks = [jnp.asarray(mask) for mask in self.masks]
        self.variables, self.sums = self._step(
            self.variables, self.sums, indices, offsets, flips, masks, self.penalty_weights
        )

    def fisher(self) -> list[np.ndarray]:
        return [np.asarray(running) for running in self.sums]

    def clear_fisher(self) -> None:
        self.sums = [jnp.zeros_like(running) for running in self.sums]

    def predict(self, images: np.ndarray) -> np.ndarray:
        masks = [jnp.asarray(mask) for mask in self.masks]
        return np.asarray(self._predict(self.variables, images, masks))

    def state(self) -> list[np.ndarray]:
        return state_arrays(self.variables)

    def load_state(self, arrays: list[np.ndarray]) -> None:
        self.variables = state_from_arrays(self.variables, arrays)

    def sync(self) -> None:
        write_state(self.model, self.optimizer, self.variables)
