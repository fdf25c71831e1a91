"""The training step under the TensorFlow backend: a `tf.function` with a gradient tape.

The training images stay in one uint8 tensor; each step gathers its batch by index, augments it and
updates the Keras variables in place; a step is compiled per batch size (an epoch that keeps its
last partial batch has two). XLA (`jit_compile`) is off: it is slower on CPUs. AutoGraph is off
too: the step has no Python control flow on tensors (JAX runs the same model and hooks without it),
and converting it would write a generated source file to the temporary folder at every trace.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf

from thesislab.train.engine import Engine


class TensorflowEngine(Engine):
    """`Engine` whose steps are `tf.function`s updating Keras variables in place."""

    def place(self) -> None:
        self.images = tf.constant(self.train.images)
        self.labels = tf.constant(self.train.labels)
        self.loss_sum = tf.Variable(0.0)
        self.correct = tf.Variable(0, dtype=tf.int64)
        self.seen = tf.Variable(0, dtype=tf.int64)
        self.running = [tf.Variable(tf.zeros(shape)) for shape in self.extension.sum_shapes()]
        self._arguments = [
            tf.TensorSpec(array.shape, tf.as_dtype(array.dtype))
            for array in self.extension.arguments()
        ]
        self._train_steps: dict[int, Callable[..., None]] = {}
        self._predict = tf.function(
            self._classes,
            input_signature=[
                tf.TensorSpec([self.recipe.batch_size, *self.train.images.shape[1:]], tf.uint8),
                self._arguments,
            ],
            jit_compile=False,
            autograph=False,
        )

    def _train_step(self, size: int) -> Callable[..., None]:
        """The compiled step of batches of `size` images (an epoch's last may be smaller)."""
        if size not in self._train_steps:
            self._train_steps[size] = tf.function(
                self._step,
                input_signature=[
                    tf.TensorSpec([size], tf.int32),
                    tf.TensorSpec([size, 2], tf.int32),
                    tf.TensorSpec([size], tf.int32),
                    self._arguments,
                ],
                jit_compile=False,
                autograph=False,
            )
        return self._train_steps[size]

    def _step(
        self, indices: tf.Tensor, offsets: tf.Tensor, flips: tf.Tensor, arguments: list[tf.Tensor]
    ) -> None:
        images, labels = self.batch(self.images, self.labels, indices, offsets, flips)
        teacher_logits = None if self.teacher is None else self.teacher(images, training=False)
        variables = self.model.trainable_variables
        probes = self.extension.probes(arguments)
        with tf.GradientTape() as tape:
            tape.watch(probes)
            logits = self.model(self.inputs(images, probes), training=True)
            loss = self.loss(labels, logits, teacher_logits)
            minimised = self.minimised(loss, variables, arguments)
        gradients = tape.gradient(minimised, [*variables, *probes])
        frozen = self.extension.frozen(arguments)
        before = None if frozen is None else [tf.identity(variable.value) for variable in variables]
        self.optimizer.apply(self.decayed(gradients[: len(variables)], variables), variables)
        if before is not None:
            after = [variable.value for variable in variables]
            for variable, value in zip(variables, self.kept(before, after, frozen), strict=True):
                variable.assign(value)
        increments = self.extension.increments(gradients[len(variables) :])
        for running, increment in zip(self.running, increments, strict=True):
            running.assign_add(increment)
        predicted = tf.argmax(logits, axis=-1, output_type=tf.int32)
        self.loss_sum.assign_add(loss * indices.shape[0])
        self.correct.assign_add(tf.reduce_sum(tf.cast(predicted == labels, tf.int64)))
        self.seen.assign_add(indices.shape[0])

    def _classes(self, images: tf.Tensor, arguments: list[tf.Tensor]) -> tf.Tensor:
        pixels = tf.cast(images, tf.float32)
        logits = self.model(self.inputs(pixels, self.extension.probes(arguments)), training=False)
        return tf.argmax(logits, axis=-1, output_type=tf.int32)

    def train_step(self, indices: np.ndarray, offsets: np.ndarray, flips: np.ndarray) -> None:
        self._train_step(len(indices))(indices, offsets, flips, self.extension.arguments())

    def metrics(self) -> tuple[float, float]:
        seen = max(int(self.seen.numpy()), 1)
        return float(self.loss_sum.numpy()) / seen, int(self.correct.numpy()) / seen

    def reset_metrics(self) -> None:
        for variable in (self.loss_sum, self.correct, self.seen):
            variable.assign(tf.zeros_like(variable))

    def sums(self) -> list[np.ndarray]:
        return [np.asarray(running.numpy()) for running in self.running]

    def reset_sums(self) -> None:
        for running in self.running:
            running.assign(tf.zeros_like(running))

    def predict(self, images: np.ndarray) -> np.ndarray:
        return np.asarray(self._predict(images, self.extension.arguments()))

    def _variables(self) -> list[keras.Variable]:
        model = self.model
        return [
            *model.trainable_variables,
            *model.non_trainable_variables,
            *self.optimizer.variables,
        ]

    def sync_model(self) -> None:
        """Nothing to do: the steps update the model's variables in place."""

    def state(self) -> list[np.ndarray]:
        return [np.asarray(variable.numpy()) for variable in self._variables()]

    def load_state(self, arrays: list[np.ndarray]) -> None:
        for variable, array in zip(self._variables(), arrays, strict=True):
            variable.assign(array)
