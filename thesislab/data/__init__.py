"""Data sets: sources (CIFAR-10 batches, image folders, Keras's cache, the bundled sample), decoded
once into a cache, fingerprinted by content, with an optional fixed validation split.

    from thesislab.data import load_data

    data = load_data("cifar10-jpeg.tar.xz")   # or "sample" (the default), "keras", a directory
    train, validation = data.holdout(5000)
"""

from thesislab.data.dataset import ImageData, Split
from thesislab.data.sources import default_source, load_data, load_images, resolve

__all__ = ["ImageData", "Split", "default_source", "load_data", "load_images", "resolve"]
