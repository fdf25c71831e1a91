"""The pieces of a training step: augmentation, learning-rate schedule, losses."""

from __future__ import annotations

import math

import numpy as np
import pytest

from thesislab.errors import ThesislabError
from thesislab.train.augment import augment, draw
from thesislab.train.engine import LearningRate
from thesislab.train.losses import cross_entropy, distillation_loss


def log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def test_augment_is_reflect_pad_crop_and_flip() -> None:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(16, 32, 32, 3), dtype=np.uint8)
    offsets, flips = draw(rng, 16, positions=9, flip=True)

    augmented = np.asarray(augment(images, offsets, flips, padding=4))

    padded = np.pad(images, ((0, 0), (4, 4), (4, 4), (0, 0)), mode="reflect")
    crops = np.stack([padded[i, y : y + 32, x : x + 32] for i, (y, x) in enumerate(offsets)])
    expected = np.where(flips[:, None, None, None] > 0, crops[:, :, ::-1], crops)
    np.testing.assert_array_equal(augmented, expected.astype(np.float32))
    assert 0 < flips.sum() < 16
    assert offsets.min() >= 0 and offsets.max() <= 8


def test_no_flips_when_flip_is_off() -> None:
    _, flips = draw(np.random.default_rng(0), 100, positions=9, flip=False)
    assert not flips.any()


def test_schedule_warms_up_then_follows_a_cosine() -> None:
    schedule = LearningRate("cosine", peak=0.4, warmup_steps=10, steps_per_epoch=11, epochs=10)

    def rate(step: int) -> float:
        return float(schedule(step))

    assert rate(0) == pytest.approx(0.04)
    assert rate(9) == pytest.approx(0.4)
    assert rate(60) == pytest.approx(0.2)
    assert rate(110) == pytest.approx(0.0, abs=1e-7)
    constant = LearningRate("constant", peak=0.1, warmup_steps=0, steps_per_epoch=10, epochs=10)
    assert float(constant(0)) == float(constant(99)) == pytest.approx(0.1)


def test_an_unknown_schedule_is_refused_not_held_constant() -> None:
    with pytest.raises(ThesislabError, match=r"expected one of cosine, .*received 'cosin'"):
        LearningRate("cosin", peak=0.1, warmup_steps=0, steps_per_epoch=10, epochs=10)


def test_cross_entropy_with_label_smoothing() -> None:
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(8, 10)).astype(np.float32)
    labels = rng.integers(0, 10, size=8).astype(np.int32)
    targets = np.full((8, 10), 0.1 / 10) + 0.9 * np.eye(10)[labels]

    expected = -np.mean(np.sum(targets * log_softmax(logits), axis=-1))

    assert float(cross_entropy(labels, logits, 0.1)) == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize(("kd_lambda", "temperature"), [(0.2, 2.0), (0.7, 4.0)])
def test_distillation_loss_formula(kd_lambda: float, temperature: float) -> None:
    rng = np.random.default_rng(2)
    student = rng.normal(size=(8, 10)).astype(np.float32) * 3
    teacher = rng.normal(size=(8, 10)).astype(np.float32) * 3
    labels = rng.integers(0, 10, size=8).astype(np.int32)

    hard = -np.mean(log_softmax(student)[np.arange(8), labels])
    soft_teacher = np.exp(log_softmax(teacher / temperature))
    soft = -np.mean(np.sum(soft_teacher * log_softmax(student / temperature), axis=-1))
    expected = kd_lambda * hard + (1 - kd_lambda) * temperature**2 * soft

    loss = distillation_loss(labels, student, teacher, kd_lambda, temperature)
    assert float(loss) == pytest.approx(expected, rel=1e-5)
    assert not math.isclose(expected, hard)


def test_zero_padded_crops_are_torchvisions_random_crop_with_padding() -> None:
    rng = np.random.default_rng(3)
    images = rng.integers(1, 256, size=(16, 32, 32, 3), dtype=np.uint8)
    offsets, flips = draw(rng, 16, positions=9, flip=True)

    augmented = np.asarray(augment(images, offsets, flips, padding=4, fill="zeros"))

    padded = np.pad(images, ((0, 0), (4, 4), (4, 4), (0, 0)), mode="constant")
    crops = np.stack([padded[i, y : y + 32, x : x + 32] for i, (y, x) in enumerate(offsets)])
    expected = np.where(flips[:, None, None, None] > 0, crops[:, :, ::-1], crops)
    np.testing.assert_array_equal(augmented, expected.astype(np.float32))
    assert (augmented == 0).any() and (offsets != 4).any()
