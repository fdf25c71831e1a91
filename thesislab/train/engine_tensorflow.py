"""The training step under the TensorFlow backend: a `tf.function` with a gradient tape.

The training images stay in one uint8 tensor; each step gathers its batch by index, augments it and
updates the Keras variables in place. XLA (`jit_compile`) is off: it is slower on CPUs.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from thesislab.data import Split
from thesislab.train.engine import Engine
from thesislab.train.recipe import Recipe


class TensorflowEngine(Engine):
    """`Engine` whose steps are `tf.function`s updating Keras variables in place."""

    def __init__(
        self,
        model: keras.Model,
        teacher: keras.Model | None,
        recipe: Recipe,
        train: Split,
        steps_per_epoch: int,
    ) -> None:
        super().__init__(model, teacher, recipe, train, steps_per_epoch)
        self.images = tf.constant(train.images)
        self.labels = tf.constant(train.labels)
        self.loss_sum = tf.Variable(0.0)
        self.correct = tf.Variable(0, dtype=tf.int64)
        self.seen = tf.Variable(0, dtype=tf.int64)
        batch = recipe.batch_size
        self._train_step = tf.function(
            self._step,
            input_signature=[
                tf.TensorSpec([batch], tf.int32),
                tf.TensorSpec([batch, 2], tf.int32),
                tf.TensorSpec([batch], tf.int32),
            ],
            jit_compile=False,
        )
        self._predict = tf.function(
            self._classes,
            input_signature=[tf.TensorSpec([batch, *train.images.shape[1:]], tf.uint8)],
            jit_compile=False,
        )

    def _step(self, indices: tf.Tensor, offsets: tf.Tensor, flips: tf.Tensor) -> None:
        images, labels = self.batch(self.images, self.labels, indices, offsets, flips)
        teacher_logits = None if self.teacher is None else self.teacher(images, training=False)
        variables = self.model.trainable_variables
        with tf.GradientTape() as tape:
            logits = self.model(images, training=True)
            loss = self.loss(labels, logits, teacher_logits)
        gradients = self.decayed(tape.gradient(loss, variables), variables)
        self.optimizer.apply(gradients, variables)
        predicted = tf.argmax(logits, axis=-1, output_type=tf.int32)
        self.loss_sum.assign_add(loss * len(indices))
        self.correct.assign_add(tf.reduce_sum(tf.cast(predicted == labels, tf.int64)))
        self.seen.assign_add(len(indices))

    def _classes(self, images: tf.Tensor) -> tf.Tensor:
        logits = self.model(tf.cast(images, tf.float32), training=False)
        return tf.argmax(logits, axis=-1, output_type=tf.int32)

    def train_step(self, indices: np.ndarray, offsets: np.ndarray, flips: np.ndarray) -> None:
        self._train_step(indices, offsets, flips)

    def metrics(self) -> tuple[float, float]:
        seen = max(int(self.seen.numpy()), 1)
        return float(self.loss_sum.numpy()) / seen, int(self.correct.numpy()) / seen

    def reset_metrics(self) -> None:
        for variable in (self.loss_sum, self.correct, self.seen):
            variable.assign(tf.zeros_like(variable))

    def predict(self, images: np.ndarray) -> np.ndarray:
        return np.asarray(self._predict(images))

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
