"""The training loop: epochs of shuffled, augmented batches, a checkpoint after each epoch.

Backend-neutral: it feeds an `Engine` indices and augmentation draws, shows a Rich progress bar
(epoch, loss, accuracy, images per second, time left) and prints one line per epoch. Each epoch's
shuffle and draws come from a NumPy generator seeded by (recipe seed, epoch), so a run resumed from
its checkpoint sees exactly the batches it would have seen.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from thesislab.data import Split
from thesislab.errors import ThesislabError
from thesislab.records import EpochStats
from thesislab.train.augment import draw
from thesislab.train.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from thesislab.train.engine import Engine
from thesislab.training_recipe import Recipe

METRICS_INTERVAL_S = 0.5
"""How often the progress bar fetches the running loss (each fetch waits for the device)."""


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("epoch {task.fields[epoch]}"),
        BarColumn(),
        TextColumn(
            "loss {task.fields[loss]:.3f}  acc {task.fields[accuracy]:.3f}  "
            "{task.fields[speed]:,.0f} img/s"
        ),
        TimeRemainingColumn(),
        console=console,
    )


def _train_epoch(
    engine: Engine, recipe: Recipe, train: Split, epoch: int, progress: Progress, task: TaskID
) -> tuple[float, float, float]:
    """One epoch of training steps: (mean loss, accuracy, seconds)."""
    batch_size = recipe.batch_size
    rng = np.random.default_rng([recipe.seed, epoch])
    order = rng.permutation(len(train)).astype(np.int32)
    offsets, flips = draw(rng, len(train), recipe.crop_positions, recipe.flip)
    engine.reset_metrics()
    loss = train_accuracy = float("nan")
    speed = 0.0
    started = last_fetch = time.perf_counter()
    for step in range(recipe.steps_per_epoch(len(train))):
        batch = slice(step * batch_size, (step + 1) * batch_size)
        engine.train_step(order[batch], offsets[batch], flips[batch])
        now = time.perf_counter()
        if now - last_fetch >= METRICS_INTERVAL_S:
            loss, train_accuracy = engine.metrics()
            speed = min((step + 1) * batch_size, len(train)) / (now - started)
            last_fetch = now
        progress.update(
            task,
            advance=1,
            epoch=f"{epoch}/{recipe.epochs}",
            loss=loss,
            accuracy=train_accuracy,
            speed=speed,
        )
    loss, train_accuracy = engine.metrics()
    if not np.isfinite(loss):
        raise ThesislabError(
            f"training diverged in epoch {epoch} (loss {loss}): expected a finite loss; "
            "lower the learning rate or add warm-up epochs"
        )
    return loss, train_accuracy, time.perf_counter() - started


def fit(
    engine: Engine,
    recipe: Recipe,
    train: Split,
    validation: Split | None,
    checkpoint_path: Path,
    console: Console,
) -> Checkpoint:
    """Train to `recipe.epochs`, resuming from `checkpoint_path` if it exists; return the state."""
    steps = recipe.steps_per_epoch(len(train))
    images = recipe.images_per_epoch(len(train))
    if steps == 0:
        raise ThesislabError(
            f"batch size {recipe.batch_size} is larger than the {len(train)} training images"
        )
    done = load_checkpoint(checkpoint_path, engine.state()) or Checkpoint()
    if done.epoch:
        engine.load_state(done.state)
        console.print(f"resuming after epoch {done.epoch} of {recipe.epochs}")
    with _progress(console) as progress:
        task = progress.add_task(
            "train",
            total=recipe.epochs * steps,
            completed=done.epoch * steps,
            epoch=f"{done.epoch + 1}/{recipe.epochs}",
            loss=float("nan"),
            accuracy=float("nan"),
            speed=0.0,
        )
        for epoch in range(done.epoch + 1, recipe.epochs + 1):
            started = time.perf_counter()
            loss, train_accuracy, step_seconds = _train_epoch(
                engine, recipe, train, epoch, progress, task
            )
            validation_accuracy = None if validation is None else engine.accuracy(validation)
            seconds = time.perf_counter() - started
            done.history.append(
                EpochStats(
                    epoch=epoch,
                    loss=loss,
                    accuracy=train_accuracy,
                    validation_accuracy=validation_accuracy,
                    seconds=seconds,
                )
            )
            done.epoch = epoch
            done.seconds += seconds
            done.step_seconds += step_seconds
            done.images += images
            done.state = engine.state()
            save_checkpoint(checkpoint_path, done)
            shown = "" if validation_accuracy is None else f"  val {validation_accuracy:.3f}"
            progress.console.print(
                f"epoch {epoch}/{recipe.epochs}  loss {loss:.4f}  acc {train_accuracy:.3f}{shown}"
                f"  {images / step_seconds:,.0f} img/s  {seconds:.1f} s"
            )
    return done
