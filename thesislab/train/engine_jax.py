"""The training step under the JAX backend: a jitted pure function of the training state.

The state (trainable, non-trainable and optimizer variables, plus the epoch's running metrics) is
a tuple of arrays threaded through `model.stateless_call` and `optimizer.stateless_apply`, and
donated to each step so that it is updated in place on the device. The training images stay on the
device as uint8; a step receives only indices and augmentation draws.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import keras
import numpy as np

from thesislab.data import Split
from thesislab.train.engine import Engine
from thesislab.train.recipe import Recipe

Arrays = list[Any]
State = tuple[Arrays, Arrays, Arrays]
"""Trainable, non-trainable and optimizer variables: what a jitted step reads and returns."""


def read_state(model: keras.Model, optimizer: keras.optimizers.Optimizer) -> State:
    """The current values of the model's and the optimizer's variables."""
    return (
        [variable.value for variable in model.trainable_variables],
        [variable.value for variable in model.non_trainable_variables],
        [variable.value for variable in optimizer.variables],
    )


def state_arrays(state: State) -> list[np.ndarray]:
    """The state as host arrays, in a fixed order (for checkpoints)."""
    return [np.asarray(value) for group in state for value in group]


def state_from_arrays(like: State, arrays: list[np.ndarray]) -> State:
    """The inverse of `state_arrays`, grouped as `like` is."""
    sizes = [len(group) for group in like]
    values = [jnp.asarray(array) for array in arrays]
    trainable, rest = values[: sizes[0]], values[sizes[0] :]
    return (trainable, rest[: sizes[1]], rest[sizes[1] :])


def write_state(model: keras.Model, optimizer: keras.optimizers.Optimizer, state: State) -> None:
    """Make the Keras variables hold `state` (before saving the model)."""
    variables = [
        *model.trainable_variables,
        *model.non_trainable_variables,
        *optimizer.variables,
    ]
    for variable, value in zip(variables, state_arrays(state), strict=True):
        variable.assign(value)


class JaxEngine(Engine):
    """`Engine` whose steps are jitted pure functions of the training state."""

    def __init__(
        self,
        model: keras.Model,
        teacher: keras.Model | None,
        recipe: Recipe,
        train: Split,
        steps_per_epoch: int,
    ) -> None:
        super().__init__(model, teacher, recipe, train, steps_per_epoch)
        self.images = jax.device_put(train.images)
        self.labels = jax.device_put(train.labels)
        self.variables = read_state(self.model, self.optimizer)
        self.teacher_variables = (
            None
            if teacher is None
            else ([v.value for v in teacher.trainable_variables],
                  [v.value for v in teacher.non_trainable_variables])
        )  # fmt: skip
        self.totals = jnp.zeros(3)
        self._train_step = jax.jit(self._step, donate_argnums=(0, 1))
        self._predict = jax.jit(self._classes)

    def _step(
        self,
        variables: State,
        totals: Any,
        teacher_variables: tuple[Arrays, Arrays] | None,
        images: Any,
        labels: Any,
        indices: Any,
        offsets: Any,
        flips: Any,
    ) -> tuple[State, Any]:
        trainable, non_trainable, optimizer_variables = variables
        pixels, targets = self.batch(images, labels, indices, offsets, flips)
        teacher_logits = None
        if self.teacher is not None and teacher_variables is not None:
            teacher_logits, _ = self.teacher.stateless_call(*teacher_variables, pixels)

        def loss_of(trainable: Arrays) -> tuple[Any, tuple[Any, Arrays]]:
            logits, updated = self.model.stateless_call(
                trainable, non_trainable, pixels, training=True
            )
            return self.loss(targets, logits, teacher_logits), (logits, updated)

        (loss, (logits, non_trainable)), gradients = jax.value_and_grad(loss_of, has_aux=True)(
            trainable
        )
        gradients = self.decayed(gradients, trainable)
        trainable, optimizer_variables = self.optimizer.stateless_apply(
            optimizer_variables, gradients, trainable
        )
        correct = jnp.sum(jnp.argmax(logits, axis=-1) == targets)
        totals = totals + jnp.array([loss * len(indices), correct, len(indices)])
        return (trainable, non_trainable, optimizer_variables), totals

    def _classes(self, variables: State, images: Any) -> Any:
        trainable, non_trainable, _ = variables
        logits, _ = self.model.stateless_call(trainable, non_trainable, images.astype("float32"))
        return jnp.argmax(logits, axis=-1)

    def train_step(self, indices: np.ndarray, offsets: np.ndarray, flips: np.ndarray) -> None:
        self.variables, self.totals = self._train_step(
            self.variables,
            self.totals,
            self.teacher_variables,
            self.images,
            self.labels,
            indices,
            offsets,
            flips,
        )

    def metrics(self) -> tuple[float, float]:
        loss_sum, correct, seen = (float(value) for value in self.totals)
        return loss_sum / max(seen, 1.0), correct / max(seen, 1.0)

    def reset_metrics(self) -> None:
        self.totals = jnp.zeros(3)

    def predict(self, images: np.ndarray) -> np.ndarray:
        return np.asarray(self._predict(self.variables, images))

    def state(self) -> list[np.ndarray]:
        return state_arrays(self.variables)

    def load_state(self, arrays: list[np.ndarray]) -> None:
        self.variables = state_from_arrays(self.variables, arrays)

    def sync_model(self) -> None:
        write_state(self.model, self.optimizer, self.variables)
