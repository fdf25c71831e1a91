"""The training step under the JAX backend: a jitted pure function of the training state.

The state (trainable, non-trainable and optimizer variables), the epoch's running metrics and the
extension's sums are arrays threaded through `model.stateless_call` and
`optimizer.stateless_apply`, and donated to each step so that they are updated in place on the
device. The training images stay on the device as uint8; a step receives only indices,
augmentation draws and the extension's arguments.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import keras
import numpy as np

from thesislab.train.engine import Engine

Arrays = list[Any]
State = tuple[Arrays, Arrays, Arrays]
"""Trainable, non-trainable and optimizer variables: what a jitted step reads and returns."""


class JaxEngine(Engine):
    """`Engine` whose steps are jitted pure functions of the training state."""

    def place(self) -> None:
        self.images = jax.device_put(self.train.images)
        self.labels = jax.device_put(self.train.labels)
        trainable, non_trainable, optimizer = self._variable_groups()
        self.variables: State = (
            [variable.value for variable in trainable],
            [variable.value for variable in non_trainable],
            [variable.value for variable in optimizer],
        )
        teacher = self.teacher
        self.teacher_variables = (
            None
            if teacher is None
            else ([v.value for v in teacher.trainable_variables],
                  [v.value for v in teacher.non_trainable_variables])
        )  # fmt: skip
        self.totals = jnp.zeros(3)
        self.running = [jnp.zeros(shape) for shape in self.extension.sum_shapes()]
        self._train_step = jax.jit(self._step, donate_argnums=(0, 1, 2))
        self._predict = jax.jit(self._classes)

    def _variable_groups(self) -> tuple[list[keras.Variable], ...]:
        model = self.model
        return (model.trainable_variables, model.non_trainable_variables, self.optimizer.variables)

    def _step(
        self,
        variables: State,
        totals: Any,
        running: Arrays,
        teacher_variables: tuple[Arrays, Arrays] | None,
        images: Any,
        labels: Any,
        batch: tuple[Any, Any, Any],
        arguments: Arrays,
    ) -> tuple[State, Any, Arrays]:
        trainable, non_trainable, optimizer_variables = variables
        pixels, targets = self.batch(images, labels, *batch)
        teacher_logits = None
        if self.teacher is not None and teacher_variables is not None:
            teacher_logits, _ = self.teacher.stateless_call(*teacher_variables, pixels)

        def minimised(trainable: Arrays, probes: Arrays) -> tuple[Any, tuple[Any, Any, Arrays]]:
            logits, updated = self.model.stateless_call(
                trainable, non_trainable, self.inputs(pixels, probes), training=True
            )
            loss = self.loss(targets, logits, teacher_logits)
            return self.minimised(loss, trainable, arguments), (loss, logits, updated)

        (_, (loss, logits, non_trainable)), (gradients, probe_gradients) = jax.value_and_grad(
            minimised, argnums=(0, 1), has_aux=True
        )(trainable, self.extension.probes(arguments))
        updated, optimizer_variables = self.optimizer.stateless_apply(
            optimizer_variables, self.decayed(gradients, trainable), trainable
        )
        frozen = self.extension.frozen(arguments)
        trainable = updated if frozen is None else self.kept(trainable, updated, frozen)
        running = [
            total + increment
            for total, increment in zip(
                running, self.extension.increments(probe_gradients), strict=True
            )
        ]
        size = len(batch[0])
        correct = jnp.sum(jnp.argmax(logits, axis=-1) == targets)
        totals = totals + jnp.array([loss * size, correct, size])
        return (trainable, non_trainable, optimizer_variables), totals, running

    def _classes(self, variables: State, images: Any, arguments: Arrays) -> Any:
        trainable, non_trainable, _ = variables
        pixels = images.astype("float32")
        logits, _ = self.model.stateless_call(
            trainable, non_trainable, self.inputs(pixels, self.extension.probes(arguments))
        )
        return jnp.argmax(logits, axis=-1)

    def _arguments(self) -> Arrays:
        return [jnp.asarray(argument) for argument in self.extension.arguments()]

    def train_step(self, indices: np.ndarray, offsets: np.ndarray, flips: np.ndarray) -> None:
        self.variables, self.totals, self.running = self._train_step(
            self.variables,
            self.totals,
            self.running,
            self.teacher_variables,
            self.images,
            self.labels,
            (indices, offsets, flips),
            self._arguments(),
        )

    def metrics(self) -> tuple[float, float]:
        loss_sum, correct, seen = (float(value) for value in self.totals)
        return loss_sum / max(seen, 1.0), correct / max(seen, 1.0)

    def reset_metrics(self) -> None:
        self.totals = jnp.zeros(3)

    def sums(self) -> list[np.ndarray]:
        return [np.asarray(total) for total in self.running]

    def reset_sums(self) -> None:
        self.running = [jnp.zeros_like(total) for total in self.running]

    def predict(self, images: np.ndarray) -> np.ndarray:
        return np.asarray(self._predict(self.variables, images, self._arguments()))

    def state(self) -> list[np.ndarray]:
        return [np.asarray(value) for group in self.variables for value in group]

    def load_state(self, arrays: list[np.ndarray]) -> None:
        values = [jnp.asarray(array) for array in arrays]
        groups = []
        for group in self.variables:
            groups.append(values[: len(group)])
            values = values[len(group) :]
        self.variables = (groups[0], groups[1], groups[2])

    def sync_model(self) -> None:
        variables = [variable for group in self._variable_groups() for variable in group]
        for variable, value in zip(variables, self.state(), strict=True):
            variable.assign(value)
