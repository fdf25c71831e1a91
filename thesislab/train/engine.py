"""What a training step needs, whatever the backend: optimizer, schedule, loss, weight decay.

An `Engine` owns a model, its optimizer and the training images placed on the device, and offers
its users (the training loop, pruning's search trainer) one training step on a batch of indices,
the running metrics of the epoch, predictions and accuracy, and its state as NumPy arrays (for
checkpoints). A `StepExtension` adds to every step what a user needs beyond plain training: model
inputs besides the images, a penalty in the loss, sums of the gradients with respect to those
inputs, and variables a step leaves as they are (pruning's channel masks, MorphNet's regulariser,
Fisher saliency, the layers the thesis's table-driven Fisher pruning stopped training). The
backend-specific part, how gradients are taken and variables updated, lives in one small module
per backend; `engine_class` picks it from `keras.backend.backend()`.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Sequence
from typing import Any, get_args

import keras
import numpy as np
from keras import ops

from thesislab.data import Split
from thesislab.errors import ThesislabError
from thesislab.train.augment import augment
from thesislab.train.decay import decay_rates
from thesislab.train.losses import cross_entropy, distillation_loss
from thesislab.training_recipe import Recipe, Schedule


class LearningRate(keras.optimizers.schedules.LearningRateSchedule):  # type: ignore[misc]
    """The recipe's schedule at `peak`, times a linear warm-up from 0 over `warmup_steps`.

    `kind` is a recipe schedule: "cosine" decays to 0 step by step after the warm-up,
    "cosine_per_epoch" holds ``0.5·(1 + cos(π·e/epochs))`` through epoch e, "constant" holds the
    peak, "multistep" multiplies it by `gamma` at each of the `milestones` (epochs from 0).
    """

    def __init__(
        self,
        kind: Schedule,
        peak: float,
        warmup_steps: int,
        steps_per_epoch: int,
        epochs: int,
        milestones: Sequence[int] = (),
        gamma: float = 1.0,
    ) -> None:
        if kind not in get_args(Schedule):
            raise ThesislabError(
                f"learning-rate schedule: expected one of {', '.join(get_args(Schedule))}, "
                f"received {kind!r}"
            )
        self.kind = kind
        self.peak = peak
        self.warmup_steps = warmup_steps
        self.steps_per_epoch = steps_per_epoch
        self.epochs = epochs
        self.milestones = tuple(milestones)
        self.gamma = gamma

    def __call__(self, step: Any) -> Any:
        step = ops.cast(step, "float32")
        rate = self.peak * ops.minimum(1.0, (step + 1.0) / max(self.warmup_steps, 1))
        epoch = ops.floor(step / self.steps_per_epoch)
        if self.kind == "cosine":
            decay_steps = max(self.epochs * self.steps_per_epoch - self.warmup_steps, 1)
            progress = ops.clip((step - self.warmup_steps) / decay_steps, 0.0, 1.0)
            return rate * 0.5 * (1.0 + ops.cos(math.pi * progress))
        if self.kind == "cosine_per_epoch":
            progress = ops.minimum(epoch / self.epochs, 1.0)
            return rate * 0.5 * (1.0 + ops.cos(math.pi * progress))
        if self.kind == "multistep":
            for milestone in self.milestones:
                rate = ops.where(epoch >= milestone, rate * self.gamma, rate)
        return rate

    def get_config(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "peak": self.peak,
            "warmup_steps": self.warmup_steps,
            "steps_per_epoch": self.steps_per_epoch,
            "epochs": self.epochs,
            "milestones": list(self.milestones),
            "gamma": self.gamma,
        }


def learning_rate(recipe: Recipe, steps_per_epoch: int) -> LearningRate:
    """The recipe's learning-rate schedule, by training step."""
    return LearningRate(
        recipe.schedule,
        peak=recipe.peak_learning_rate,
        warmup_steps=round(recipe.warmup_epochs * steps_per_epoch),
        steps_per_epoch=steps_per_epoch,
        epochs=recipe.epochs,
        milestones=recipe.milestones,
        gamma=recipe.gamma,
    )


def make_optimizer(recipe: Recipe, steps_per_epoch: int) -> keras.optimizers.Optimizer:
    """SGD with the recipe's (Nesterov) momentum, on its warm-up and schedule."""
    return keras.optimizers.SGD(
        learning_rate=learning_rate(recipe, steps_per_epoch),
        momentum=recipe.momentum,
        nesterov=recipe.nesterov,
    )


class StepExtension:
    """What a user adds to every training step, in `keras.ops` (so it serves every backend);
    this base adds nothing.

    Each step and prediction receives `arguments()` afresh, so that changing them (a mask, a
    penalty weight) needs no new compilation; their shapes and dtypes must stay fixed.
    """

    def arguments(self) -> list[np.ndarray]:
        """Host arrays passed to every step and prediction."""
        return []

    def probes(self, arguments: Sequence[Any]) -> list[Any]:
        """Tensors made from the arguments that the model takes after the images (a model with
        probes is called on ``[images, *probes]``); the step takes their gradients."""
        return []

    def penalty(self, trainable: Sequence[Any], arguments: Sequence[Any]) -> Any | None:
        """A term added to the loss that is minimised, from the trainable variables (or None)."""
        return None

    def sum_shapes(self) -> list[tuple[int, ...]]:
        """Shapes of the float sums the engine keeps over steps (zero after `reset_sums`)."""
        return []

    def increments(self, probe_gradients: Sequence[Any]) -> list[Any]:
        """What one step adds to each sum, from the gradients of the loss at the probes."""
        return []

    def frozen(self, arguments: Sequence[Any]) -> Any | None:
        """A flag per trainable variable, from the arguments: where it is 1, a step leaves the
        variable as it was (its optimizer state moves on, unused). None: every variable trains,
        and steps copy nothing."""
        return None


class Engine(abc.ABC):
    """A model, its optimizer and its training set on the device; see the module docstring."""

    def __init__(
        self,
        model: keras.Model,
        teacher: keras.Model | None,
        recipe: Recipe,
        train: Split,
        steps_per_epoch: int,
        extension: StepExtension | None = None,
    ) -> None:
        self.model = model
        self.teacher = teacher
        self.recipe = recipe
        self.train = train
        self.extension = extension or StepExtension()
        self.optimizer = make_optimizer(recipe, steps_per_epoch)
        self.optimizer.build(model.trainable_variables)
        self.decay = decay_rates(model, recipe)
        self.place()

    @abc.abstractmethod
    def place(self) -> None:
        """Put the training set and the running sums on the device and compile the steps."""

    def batch(self, images: Any, labels: Any, indices: Any, offsets: Any, flips: Any) -> Any:
        """The augmented images and the labels of one batch (inside the compiled step)."""
        recipe = self.recipe
        pixels = augment(
            ops.take(images, indices, axis=0),
            offsets,
            flips,
            recipe.crop_padding,
            recipe.crop_fill,
        )
        return pixels, ops.take(labels, indices, axis=0)

    @staticmethod
    def inputs(pixels: Any, probes: Sequence[Any]) -> Any:
        """What the model is called on: the images, followed by the extension's probes."""
        return [pixels, *probes] if probes else pixels

    def loss(self, labels: Any, logits: Any, teacher_logits: Any) -> Any:
        """The recipe's loss: cross-entropy, or the distillation loss when there is a teacher."""
        distillation = self.recipe.distillation
        if distillation is None:
            return cross_entropy(labels, logits, self.recipe.label_smoothing)
        return distillation_loss(
            labels,
            logits,
            teacher_logits,
            distillation.kd_lambda,
            distillation.temperature,
            self.recipe.label_smoothing,
        )

    def minimised(self, loss: Any, trainable: Sequence[Any], arguments: Sequence[Any]) -> Any:
        """The loss plus the extension's penalty, if it has one."""
        penalty = self.extension.penalty(trainable, arguments)
        return loss if penalty is None else loss + penalty

    def kept(self, before: Sequence[Any], after: Sequence[Any], flags: Any) -> list[Any]:
        """The variables after a step, each frozen one (`StepExtension.frozen`) as before it."""
        return [
            ops.where(flags[position] > 0, old, new)
            for position, (old, new) in enumerate(zip(before, after, strict=True))
        ]

    def decayed(self, gradients: Sequence[Any], variables: Sequence[Any]) -> list[Any]:
        """Gradients with the L2 weight-decay term `decay · w` added."""
        return [
            gradient + decay * variable if decay else gradient
            for gradient, variable, decay in zip(gradients, variables, self.decay, strict=True)
        ]

    def accuracy(self, split: Split) -> float:
        """The fraction of `split` the model classifies correctly."""
        size = self.recipe.batch_size
        correct = 0
        for start in range(0, len(split), size):
            images = split.images[start : start + size]
            padding = np.zeros((size - len(images), *images.shape[1:]), dtype=images.dtype)
            predicted = self.predict(np.concatenate([images, padding]))[: len(images)]
            correct += int(np.sum(predicted == split.labels[start : start + len(images)]))
        return correct / len(split)

    @abc.abstractmethod
    def train_step(self, indices: np.ndarray, offsets: np.ndarray, flips: np.ndarray) -> None:
        """One optimisation step on the training images at `indices`, augmented as drawn."""

    @abc.abstractmethod
    def metrics(self) -> tuple[float, float]:
        """Mean loss and accuracy of the steps since the last `reset_metrics`."""

    @abc.abstractmethod
    def reset_metrics(self) -> None:
        """Start a new epoch's running metrics."""

    @abc.abstractmethod
    def sums(self) -> list[np.ndarray]:
        """The extension's sums over the steps since the last `reset_sums`."""

    @abc.abstractmethod
    def reset_sums(self) -> None:
        """Zero the extension's sums."""

    @abc.abstractmethod
    def predict(self, images: np.ndarray) -> np.ndarray:
        """Predicted classes of a batch of uint8 images (always `recipe.batch_size` of them)."""

    @abc.abstractmethod
    def state(self) -> list[np.ndarray]:
        """Model and optimizer variables, as arrays, in a fixed order."""

    @abc.abstractmethod
    def load_state(self, arrays: list[np.ndarray]) -> None:
        """Restore what `state` returned."""

    @abc.abstractmethod
    def sync_model(self) -> None:
        """Make the Keras model's variables hold the trained values (before saving it)."""


def engine_class() -> type[Engine]:
    """The engine of the current Keras backend (TensorFlow or JAX)."""
    backend = keras.backend.backend()
    if backend == "jax":
        from thesislab.train.engine_jax import JaxEngine

        return JaxEngine
    if backend == "tensorflow":
        from thesislab.train.engine_tensorflow import TensorflowEngine

        return TensorflowEngine
    raise ThesislabError(f"training needs the tensorflow or jax Keras backend, found {backend!r}")
