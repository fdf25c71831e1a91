"""The thesis's training recipes as named presets: recipe fields that differ from the defaults.

Each preset is a `training_recipe.Recipe` named after itself; `recipe.load_recipe` starts from one
when given ``preset=NAME`` (a `preset:` key in a YAML recipe, ``--recipe-preset`` on the command
line, ``recipe: {preset: NAME}`` in a study), and any other field given overrides it. Paths are
the thesis repository's: T/ = `training_from_scratch/`, N/ = `NetAdapt/`, P/ = `pytorch-prunes/`,
M/ = `morph_net/`. Every preset trains in float32, as the thesis did, and keeps the last partial
batch of an epoch, as Keras's `Sequence` (T/KDDataGenerator.py:57-59), PyTorch's `DataLoader`
(P/train.py:174) and MorphNet's epoch count (M/cifar10.py:58) did: 391 steps of 50,000 images.
"""

from __future__ import annotations

from typing import Any

from thesislab.training_recipe import Recipe

THESIS: dict[str, Any] = {
    "batch_size": 128,
    "crop_padding": 4,
    "validation_size": 0,
    "precision": "float32",
    "last_batch": "keep",
}
"""What every thesis preset shares: batches of 128, crops of a 4-pixel padding, all 50,000
training images, float32, the last partial batch kept."""

PYTORCH_SGD: dict[str, Any] = {
    "momentum": 0.9,
    "nesterov": False,
    "weight_decay": 5e-4,
    "weight_decay_scope": "all",
    "bn_momentum": 0.9,
    "bn_epsilon": 1e-5,
}
"""PyTorch's SGD as P/ and N/ used it (momentum without Nesterov, weight decay 5e-4 on every
parameter, in the gradient) with PyTorch's batch norm (momentum 0.1, epsilon 1e-5)."""

PRESETS: dict[str, Recipe] = {
    # T/train_save.py, T/models/commons.py: Keras, `l2(1e-4)` in the loss (gradient 2e-4·w) on the
    # regularised layers, Keras's batch norm, 8 crop offsets of a 40x40 reflect-101 padding, a
    # per-epoch cosine from 0.1 with Nesterov momentum, all 50,000 images.
    "thesis2019": Recipe(
        **THESIS,
        name="thesis2019",
        epochs=200,
        learning_rate=0.1,
        schedule="cosine_per_epoch",
        momentum=0.9,
        nesterov=True,
        weight_decay=2e-4,
        weight_decay_scope="thesis2019",
        bn_momentum=0.99,
        bn_epsilon=1e-3,
        crop_offsets="exclusive",
    ),
    # P/train.py, N/train.py: PyTorch SGD (weight decay 5e-4 on every parameter, in the gradient),
    # MultiStepLR at epochs 60, 120, 160, PyTorch's batch norm (momentum 0.1, epsilon 1e-5), crops
    # of a 4-pixel reflect padding at 9 offsets, the same channel statistics.
    "thesis2019-pytorch": Recipe(
        **THESIS,
        name="thesis2019-pytorch",
        epochs=200,
        learning_rate=0.1,
        schedule="multistep",
        milestones=(60, 120, 160),
        gamma=0.2,
        **PYTORCH_SGD,
        crop_offsets="inclusive",
    ),
    # M/cifar10.py: plain gradient descent, 0.1 × 0.2 every 53 epochs (a staircase), no weight
    # decay besides MorphNet's regulariser.
    "morphnet2019": Recipe(
        **THESIS,
        name="morphnet2019",
        epochs=200,
        learning_rate=0.1,
        schedule="multistep",
        milestones=(53, 106, 159),
        gamma=0.2,
        momentum=0.0,
        nesterov=False,
        weight_decay=0.0,
        crop_offsets="inclusive",
    ),
    # N/prune.py:85-87,187-191 (N/utils/training_fcts.py:69-113): fine-tuning a pruned network
    # with PyTorch SGD, learning rate 8e-4, momentum 0.9 without Nesterov, weight decay 5e-4 on
    # every parameter, on the PyTorch recipe's augmentation and batch norm.
    "thesis2019-fine-tuning": Recipe(
        **THESIS,
        name="thesis2019-fine-tuning",
        epochs=20,
        learning_rate=8e-4,
        schedule="constant",
        **PYTORCH_SGD,
        crop_offsets="inclusive",
    ),
}
"""Every preset by name; see the module docstring."""
