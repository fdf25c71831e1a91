"""Training losses, written with `keras.ops` so that every backend runs the same formulas.

Both take integer labels and logits. `distillation_loss` is the thesis's (after Hinton et al.)::

    λ · CE(y, softmax(z)) + (1 − λ) · T² · CE(softmax(t / T), softmax(z / T))

with z the student's logits, t the teacher's, λ the weight of the label loss and T the temperature.
"""

from __future__ import annotations

from typing import Any

from keras import ops


def _soft_cross_entropy(targets: Any, logits: Any) -> Any:
    return -ops.mean(ops.sum(targets * ops.log_softmax(logits, axis=-1), axis=-1))


def cross_entropy(labels: Any, logits: Any, label_smoothing: float = 0.0) -> Any:
    """Mean cross-entropy of logits against integer labels, optionally label-smoothed."""
    logits = ops.cast(logits, "float32")
    num_classes = logits.shape[-1]
    targets = ops.one_hot(labels, num_classes) * (1.0 - label_smoothing)
    return _soft_cross_entropy(targets + label_smoothing / num_classes, logits)


def distillation_loss(
    labels: Any,
    logits: Any,
    teacher_logits: Any,
    kd_lambda: float,
    temperature: float,
    label_smoothing: float = 0.0,
) -> Any:
    """Label loss and softened teacher-matching loss, weighted by `kd_lambda` (see module doc)."""
    logits = ops.cast(logits, "float32")
    teacher = ops.softmax(ops.cast(teacher_logits, "float32") / temperature, axis=-1)
    soft = _soft_cross_entropy(ops.stop_gradient(teacher), logits / temperature)
    hard = cross_entropy(labels, logits, label_smoothing)
    return kd_lambda * hard + (1.0 - kd_lambda) * temperature**2 * soft
