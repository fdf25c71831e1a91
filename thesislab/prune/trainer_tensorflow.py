"""The pruning-search step under the TensorFlow backend: a `tf.function` with a gradient tape
that watches the mask inputs as well as the weights."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from thesislab.data import Split
from thesislab.prune.masking import MaskedNetwork
from thesislab.prune.trainer import Penalty, SearchTrainer
from thesislab.train.augment import augment
from thesislab.train.losses import cross_entropy
from thesislab.train.recipe import Recipe


class TensorflowTrainer(SearchTrainer):
    """`SearchTrainer` whose steps update the Keras variables in place."""

    def __init__(
        self, masked: MaskedNetwork, recipe: Recipe, train: Split, penalty: Penalty | None
    ) -> None:
        super().__init__(masked, recipe, train, penalty)
        self.images = tf.constant(train.images)
        self.labels = tf.constant(train.labels)
        self.sums = [tf.Variable(tf.zeros(width)) for width in masked.widths]
        batch = recipe.batch_size
        masks = [tf.TensorSpec([width], tf.float32) for width in masked.widths]
        self._step = tf.function(
            self._graph_step,
            input_signature=[
                tf.TensorSpec([batch], tf.int32),
                tf.TensorSpec([batch, 2], tf.int32),
                tf.TensorSpec([batch], tf.int32),
                masks,
                tf.TensorSpec([len(self.penalty_weights)], tf.float32),
            ],
            jit_compile=False,
        )
        self._predict = tf.function(
            self._classes,
            input_signature=[tf.TensorSpec([batch, *train.images.shape[1:]], tf.uint8), masks],
            jit_compile=False,
        )

    def _tiled(self, masks: list[tf.Tensor]) -> list[tf.Tensor]:
        return [tf.tile(mask[None], [self.recipe.batch_size, 1]) for mask in masks]

    def _graph_step(
        self,
        indices: tf.Tensor,
        offsets: tf.Tensor,
        flips: tf.Tensor,
        masks: list[tf.Tensor],
        weights: tf.Tensor,
    ) -> None:
        pixels = augment(tf.gather(self.images, indices), offsets, flips, self.recipe.crop_padding)
        labels = tf.gather(self.labels, indices)
        tiled = self._tiled(masks)
        variables = self.model.trainable_variables
        with tf.GradientTape() as tape:
            tape.watch(tiled)
            logits = self.model([pixels, *tiled], training=True)
            loss = cross_entropy(labels, logits, self.recipe.label_smoothing)
            total = loss + self.penalty_value(variables, weights)
        gradients = tape.gradient(total, [*variables, *tiled])
        weight_gradients = gradients[: len(variables)]
        self.optimizer.apply(self.decayed(weight_gradients, variables), variables)
        size = float(self.recipe.batch_size)
        for running, gradient in zip(self.sums, gradients[len(variables) :], strict=True):
            running.assign_add(0.5 * tf.reduce_mean(tf.square(gradient * size), axis=0))

    def _classes(self, images: tf.Tensor, masks: list[tf.Tensor]) -> tf.Tensor:
        logits = self.model([tf.cast(images, tf.float32), *self._tiled(masks)], training=False)
        return tf.argmax(logits, axis=-1, output_type=tf.int32)

    def step(self, indices: np.ndarray, offsets: np.ndarray, flips: np.ndarray) -> None:
        self._step(indices, offsets, flips, self.masks, self.penalty_weights)

    def fisher(self) -> list[np.ndarray]:
        return [np.asarray(running.numpy()) for running in self.sums]

    def clear_fisher(self) -> None:
        for running in self.sums:
            running.assign(tf.zeros_like(running))

    def predict(self, images: np.ndarray) -> np.ndarray:
        return np.asarray(self._predict(images, self.masks))

    def _variables(self) -> list[tf.Variable]:
        return [
            *self.model.trainable_variables,
            *self.model.non_trainable_variables,
            *self.optimizer.variables,
        ]

    def state(self) -> list[np.ndarray]:
        return [np.asarray(variable.numpy()) for variable in self._variables()]

    def load_state(self, arrays: list[np.ndarray]) -> None:
        for variable, array in zip(self._variables(), arrays, strict=True):
            variable.assign(array)

    def sync(self) -> None:
        """Nothing to do: the steps update the Keras variables in place."""
