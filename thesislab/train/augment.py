"""Data augmentation on the device: random crops of padded images, and horizontal flips.

The random draws (two crop offsets and a flip bit per image) are made on the host with NumPy, one
vector per epoch from a generator seeded by (seed, epoch), so a resumed run replays them exactly.
The pixel work is one gather inside the compiled training step, written with `keras.ops` for every
backend: the source index of each output pixel folds the padding (reflection, as OpenCV's
``BORDER_REFLECT_101``), the crop and the flip together, so the padded image is never built; a
black padding (torchvision's ``RandomCrop(padding=...)``) then zeroes the pixels it covers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from keras import ops

from thesislab.training_recipe import CropFill


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


def _inside(index: Any, size: int) -> Any:
    return ops.logical_and(index >= 0, index < size)


def augment(images: Any, offsets: Any, flips: Any, padding: int, fill: CropFill = "reflect") -> Any:
    """Crop and flip a uint8 batch (B, H, W, C) as float32 pixel values (not normalised), the
    padding the images' reflection or (`fill` "zeros") black."""
    batch, height, width, channels = images.shape
    rows = offsets[:, :1] - padding + ops.arange(height)[None, :]
    columns = offsets[:, 1:] - padding + ops.arange(width)[None, :]
    columns = ops.where(flips[:, None] > 0, ops.flip(columns, axis=1), columns)
    source = _reflect(rows, height)[:, :, None] * width + _reflect(columns, width)[:, None, :]
    flat = ops.reshape(images, (-1, height * width, channels))
    index = ops.broadcast_to(
        ops.reshape(source, (-1, height * width, 1)), (batch, height * width, channels)
    )
    pixels = ops.take_along_axis(flat, ops.cast(index, "int32"), axis=1)
    pixels = ops.cast(ops.reshape(pixels, (-1, height, width, channels)), "float32")
    if fill == "zeros":
        inside = ops.logical_and(
            _inside(rows, height)[:, :, None], _inside(columns, width)[:, None, :]
        )
        pixels = pixels * ops.cast(inside, "float32")[..., None]
    return pixels
