"""A tiny network and a small data set it learns in a few steps, for the conversion tests.

Each of the 10 classes is a colour; an image is its class's colour plus strong pixel noise. The
network is built as thesislab's trained networks are: a per-channel input normalisation in front of
a nested network.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

if TYPE_CHECKING:
    import keras

CLASSES = 10
SHAPE = (32, 32, 3)
_COLOURS = np.random.default_rng(123).uniform(30, 225, size=(CLASSES, 3))
MEAN = (120.0, 125.0, 130.0)
STD = (60.0, 64.0, 70.0)


def learnable_images(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`count` uint8 images (N, 32, 32, 3) and their int32 labels."""
    rng = np.random.default_rng(seed)
    labels = (np.arange(count) % CLASSES).astype(np.int32)
    rng.shuffle(labels)
    noisy = _COLOURS[labels][:, None, None, :] + rng.normal(0, 90, size=(count, *SHAPE))
    return np.clip(np.round(noisy), 0, 255).astype(np.uint8), labels


def write_image_folder(root: Path, train: int, test: int) -> Path:
    """The data set as PNG files in an image-folder layout (a thesislab data source)."""
    for split, count, seed in (("train", train, 1), ("test", test, 2)):
        images, labels = learnable_images(count, seed)
        for index, (image, label) in enumerate(zip(images, labels, strict=True)):
            directory = root / split / f"c{label}"
            directory.mkdir(parents=True, exist_ok=True)
            Image.fromarray(image).save(directory / f"{index}.png")
    return root


def trained_tiny_model(images: np.ndarray, labels: np.ndarray, steps: int) -> keras.Model:
    """Pixels in, logits out: normalisation, then a network of conv, depthwise and pointwise conv,
    pooling and dense layers."""
    import keras

    from thesislab.train.network import NORMALIZE

    keras.utils.set_random_seed(0)
    normalised = keras.Input(SHAPE)
    x = keras.layers.Conv2D(16, 3, strides=2, padding="same", use_bias=False)(normalised)
    x = keras.layers.ReLU()(keras.layers.BatchNormalization(momentum=0.8)(x))
    x = keras.layers.DepthwiseConv2D(3, padding="same", use_bias=False)(x)
    x = keras.layers.ReLU()(keras.layers.BatchNormalization(momentum=0.8)(x))
    x = keras.layers.Conv2D(96, 1, use_bias=False)(x)
    x = keras.layers.ReLU()(keras.layers.BatchNormalization(momentum=0.8)(x))
    x = keras.layers.GlobalAveragePooling2D()(x)
    net = keras.Model(normalised, keras.layers.Dense(CLASSES)(x), name="tiny")
    pixels = keras.Input(SHAPE, name="pixels")
    variance = [deviation**2 for deviation in STD]
    normalize = keras.layers.Normalization(mean=MEAN, variance=variance, name=NORMALIZE)
    model = keras.Model(pixels, net(normalize(pixels)), name="tiny")
    model.compile(
        optimizer=keras.optimizers.Adam(0.02),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    batch = 32
    epochs = max(1, steps * batch // len(images))
    model.fit(images.astype(np.float32), labels, batch_size=batch, epochs=epochs, verbose=0)
    return model
