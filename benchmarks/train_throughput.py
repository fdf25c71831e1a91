"""Training throughput: thesislab's training path against a minimal hand-written step.

Both sides train the same network (the same Keras model, normalisation included) at the same
batch size under the current Keras backend (TensorFlow on a CPU by default):

- thesislab: `thesislab.train.loop.fit` on an in-memory data set, doing everything a real run does
  per step (index gathering, on-device crop and flip, weight decay, running metrics, progress bar);
- minimal: a `tf.function` that takes one fixed float batch, computes the cross-entropy under a
  gradient tape and applies SGD; nothing else.

The sides alternate epoch by epoch (each epoch `--steps` steps), so that a change of machine load
hits both; the first epoch of each (tracing) is not timed. thesislab's side advances one epoch per
`fit` call, resuming from its own checkpoint. Reported: images per second of the median epoch, and
the median of the per-epoch ratios.

    python benchmarks/train_throughput.py --model res-16-2 --batch-size 128
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from rich.console import Console

from thesislab.data import Split
from thesislab.models.names import parse_name
from thesislab.train.engine import engine_class
from thesislab.train.loop import fit
from thesislab.train.network import architecture, build_network
from thesislab.training_recipe import Recipe


def thesislab_epoch(
    name: str, recipe: Recipe, train: Split, directory: Path
) -> Callable[[], float]:
    """A function running one more epoch of thesislab's training loop, returning its seconds."""
    model = build_network(architecture(parse_name(name).spec, recipe), recipe, False)
    engine = engine_class()(model, None, recipe, train, len(train) // recipe.batch_size)
    console = Console(quiet=True)
    finished = 0

    def epoch() -> float:
        nonlocal finished
        finished += 1
        until = recipe.model_copy(update={"epochs": finished})
        done = fit(engine, until, train, None, directory / "checkpoint.npz", console)
        return done.history[-1].seconds

    return epoch


def minimal_epoch(name: str, recipe: Recipe, train: Split) -> Callable[[], float]:
    """A function running one epoch of a bare tape-and-apply step, returning its seconds."""
    model = build_network(architecture(parse_name(name).spec, recipe), recipe, False)
    optimizer = keras.optimizers.SGD(learning_rate=0.01, momentum=0.9, nesterov=True)
    images = tf.constant(train.images[: recipe.batch_size], dtype=tf.float32)
    labels = tf.constant(train.labels[: recipe.batch_size])

    @tf.function(jit_compile=False)
    def step() -> tf.Tensor:
        with tf.GradientTape() as tape:
            logits = model(images, training=True)
            loss = tf.reduce_mean(
                keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
            )
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply(gradients, model.trainable_variables)
        return loss

    def epoch() -> float:
        started = time.perf_counter()
        for _ in range(len(train) // recipe.batch_size):
            loss = step()
        float(loss)
        return time.perf_counter() - started

    return epoch


def main() -> None:
    parser = argparse.ArgumentParser(description="Training throughput against a minimal step.")
    parser.add_argument("--model", default="res-16-2", help="thesis-style model name")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=10, help="steps per epoch")
    parser.add_argument("--epochs", type=int, default=6, help="timed epochs per side")
    arguments = parser.parse_args()

    recipe = Recipe(
        epochs=arguments.epochs + 1, batch_size=arguments.batch_size, precision="float32"
    )
    count = arguments.steps * arguments.batch_size
    rng = np.random.default_rng(0)
    train = Split(
        rng.integers(0, 256, size=(count, 32, 32, 3), dtype=np.uint8),
        rng.integers(0, 10, size=count, dtype=np.int32),
    )
    with tempfile.TemporaryDirectory() as directory:
        sides = {
            "minimal": minimal_epoch(arguments.model, recipe, train),
            "thesislab": thesislab_epoch(arguments.model, recipe, train, Path(directory)),
        }
        for run in sides.values():
            run()  # tracing
        seconds: dict[str, list[float]] = {side: [] for side in sides}
        for _ in range(arguments.epochs):
            for side, run in sides.items():
                seconds[side].append(run())

    print(
        f"{arguments.model}, batch {arguments.batch_size}, Keras backend "
        f"{keras.backend.backend()}, {arguments.epochs} timed epochs of {arguments.steps} steps"
    )
    for side, timings in seconds.items():
        print(f"  {side:<10} {count / statistics.median(timings):8.1f} images/s")
    ratios = [
        mine / theirs for mine, theirs in zip(seconds["minimal"], seconds["thesislab"], strict=True)
    ]
    print(f"  ratio      {statistics.median(ratios):8.3f}x (median of per-epoch ratios)")


if __name__ == "__main__":
    main()
