"""Data augmentation on the device: random crops of reflect-padded images, and horizontal flips.

The random draws (two crop offsets and a flip bit per image) are made on the host with NumPy, one
vector per epoch from a generator seeded by (seed, epoch), so a resumed run replays them exactly.
The pixel work is one gather inside the compiled training step, written with `keras.ops` for every
backend: the source index of each output pixel folds the padding (reflection, as OpenCV's
``BORDER_REFLECT_101``), the crop and the flip together, so the padded image is never built.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from keras import ops


def draw(
    rng: np.random.Generator, count: int, positions: int, flip: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Crop offsets (count, 2) in [0, positions) and flip bits (count,), all 0 without `flip`.

    The offsets are those of a crop of the padded image (the shift is the offset minus the
    padding); `positions` is `Recipe.crop_positions`.
    """
    offsets = rng.integers(0, positions, size=(count, 2), dtype=np.int32)
    flips = rng.random(count) < 0.5 if flip else np.zeros(count, dtype=bool)
    return offsets, flips.astype(np.int32)


def _reflect(index: Any, size: int) -> Any:
    index = ops.abs(index)
    return (size - 1) - ops.abs((size - 1) - index)


def augment(images: Any, offsets: Any, flips: Any, padding: int) -> Any:
    """Crop and flip a uint8 batch (B, H, W, C) as float32 pixel values (not normalised)."""
    batch, height, width, channels = images.shape
    rows = _reflect(offsets[:, :1] - padding + ops.arange(height)[None, :], height)
    columns = offsets[:, 1:] - padding + ops.arange(width)[None, :]
    columns = ops.where(flips[:, None] > 0, ops.flip(columns, axis=1), columns)
    columns = _reflect(columns, width)
    source = rows[:, :, None] * width + columns[:, None, :]
    flat = ops.reshape(images, (-1, height * width, channels))
    index = ops.broadcast_to(
        ops.reshape(source, (-1, height * width, 1)), (batch, height * width, channels)
    )
    pixels = ops.take_along_axis(flat, ops.cast(index, "int32"), axis=1)
    return ops.cast(ops.reshape(pixels, (-1, height, width, channels)), "float32")
