"""The GPU kit's driver: the thesis's WRN-40-2 trained with the `thesis2019` recipe under Keras on
JAX, its throughput beside a PyTorch step of the same network; see README.md. run.sh runs it with
the missing packages installed and ``KERAS_BACKEND=jax``; nothing on its path imports TensorFlow.

One call, in an output folder OUT:

1. a throughput probe: steps of the run's own training engine (its compilation timed apart, then
   the step, an evaluation batch and a checkpoint), and of the PyTorch network on the same device
   (pytorch_wrn.py, in a process of its own);
2. the projected time of the whole run, from the probe;
3. the run itself (`thesislab.train.run.train_model`): it checkpoints into OUT after every epoch,
   resumes from OUT's checkpoint, and writes the model record (test accuracy, training time,
   images per second) and the network into OUT;
4. a summary line.

The probe's figures, the projection and, once trained, the record's id are kept in
OUT/throughput.json: a call given an OUT that holds them skips the probe, and one given a
finished run prints its summary and trains nothing. ``--smoke`` runs the same path on a small
WideResNet, two short epochs of a few bundled images, in a minute or two on a CPU.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import jax
import keras
import numpy as np

from thesislab.data import ImageData, Split, load_data
from thesislab.data.cache import cache_dir
from thesislab.data.dataset import fingerprint
from thesislab.errors import ThesislabError
from thesislab.filesystem import atomic_write_bytes
from thesislab.models.names import parse_name
from thesislab.models.registry import resolve
from thesislab.models.spec import ArchSpec
from thesislab.records import ModelRecord
from thesislab.store import Store
from thesislab.train.augment import draw
from thesislab.train.checkpoint import Checkpoint, save_checkpoint
from thesislab.train.engine import engine_class
from thesislab.train.environment import accelerator
from thesislab.train.network import build_network, network_count
from thesislab.train.recipe import load_recipe
from thesislab.train.run import resolve_precision, train_model
from thesislab.training_recipe import Recipe

PRESET = "thesis2019"
SUMMARY = "throughput.json"
PYTORCH_SIDE = Path(__file__).with_name("pytorch_wrn.py")


@dataclasses.dataclass(frozen=True)
class Setup:
    """What a kit run trains, on how much of its data, and how long its probe runs."""

    network: str
    recipe: dict[str, Any]
    """Recipe fields set beside the preset's."""
    warmup_steps: int
    timed_steps: int
    images: tuple[int, int] | None = None
    """Training and test images kept of the data set (spread over it); None: all of them."""


FULL = Setup("res-40-2", {}, warmup_steps=20, timed_steps=100)
SMOKE = Setup(
    "res-10-1", {"epochs": 2, "batch_size": 32}, warmup_steps=1, timed_steps=2, images=(128, 200)
)


def kept(data: ImageData, images: tuple[int, int] | None) -> ImageData:
    """`data` with only `images` (train, test) of its images, spread evenly over each split."""
    if images is None:
        return data

    def spread(split: Split, count: int) -> Split:
        return split.take(np.linspace(0, len(split) - 1, min(count, len(split))).astype(int))

    train, test = spread(data.train, images[0]), spread(data.test, images[1])
    return dataclasses.replace(
        data, train=train, test=test, fingerprint=fingerprint(data.classes, train, test)
    )


def probe_jax(spec: ArchSpec, recipe: Recipe, data: ImageData, setup: Setup) -> dict[str, Any]:
    """Seconds of the first training step (compilation), images per second of the next ones,
    seconds of a whole test evaluation and of one checkpoint, on an engine of the run's own."""
    model = build_network(spec, recipe, mixed_precision=recipe.precision == "bfloat16")
    train = data.train
    steps_per_epoch = len(train) // recipe.batch_size
    engine = engine_class()(model, None, recipe, train, steps_per_epoch)
    rng = np.random.default_rng(recipe.seed)
    order = rng.permutation(len(train)).astype(np.int32)
    offsets, flips = draw(rng, len(train), recipe.crop_positions, recipe.flip)

    def seconds_of(steps: range) -> float:
        started = time.perf_counter()
        for step in steps:
            batch = slice(
                (step % steps_per_epoch) * recipe.batch_size,
                (step % steps_per_epoch + 1) * recipe.batch_size,
            )
            engine.train_step(order[batch], offsets[batch], flips[batch])
        engine.metrics()  # waits for the device
        return time.perf_counter() - started

    compile_s = seconds_of(range(1))
    seconds_of(range(1, 1 + setup.warmup_steps))
    timed_s = seconds_of(range(1 + setup.warmup_steps, 1 + setup.warmup_steps + setup.timed_steps))

    batch = data.test.take(np.arange(min(recipe.batch_size, len(data.test))))
    started = time.perf_counter()
    engine.accuracy(batch)
    first_batch_s = time.perf_counter() - started
    started = time.perf_counter()
    engine.accuracy(batch)
    batch_s = time.perf_counter() - started
    batches = math.ceil(len(data.test) / recipe.batch_size)

    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        save_checkpoint(Path(folder) / "probe.npz", Checkpoint(state=engine.state()))
        checkpoint_s = time.perf_counter() - started
    return {
        "compile_s": compile_s,
        "images_per_s": setup.timed_steps * recipe.batch_size / timed_s,
        "evaluation_s": first_batch_s + (batches - 1) * batch_s,
        "checkpoint_s": checkpoint_s,
        "params": network_count(model).params,
    }


def probe_pytorch(spec: ArchSpec, recipe: Recipe, setup: Setup, device: str) -> dict[str, Any]:
    """The PyTorch side's images per second (pytorch_wrn.py), or why it was skipped."""
    if importlib.util.find_spec("torch") is None:
        return {"skipped": "torch is not installed"}
    settings = {
        "depth": spec.params["depth"],
        "width": spec.params["width"],
        "dropout": spec.params["dropout"],
        "batch_size": recipe.batch_size,
        "precision": recipe.precision,
        "device": device,
        "learning_rate": recipe.peak_learning_rate,
        "momentum": recipe.momentum,
        "nesterov": recipe.nesterov,
        "weight_decay": recipe.weight_decay,
        "mean": list(recipe.mean),
        "std": list(recipe.std),
        "warmup_steps": setup.warmup_steps,
        "timed_steps": setup.timed_steps,
    }
    done = subprocess.run(
        [sys.executable, str(PYTORCH_SIDE), json.dumps(settings)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"skipped": f"the PyTorch step failed: {reason}"}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def projected_s(probe: dict[str, Any], recipe: Recipe, train_images: int) -> float:
    """Seconds of the whole run: compilation, every epoch's steps and checkpoint, evaluation."""
    steps = train_images // recipe.batch_size
    epoch_s = steps * recipe.batch_size / probe["images_per_s"] + probe["checkpoint_s"]
    return float(probe["compile_s"] + recipe.epochs * epoch_s + probe["evaluation_s"])


def comparison(summary: dict[str, Any]) -> str:
    """The probe's images per second of both sides, one line each."""
    jax_side, torch_side = summary["probe"], summary["pytorch"]
    lines = [
        f"training step, {summary['network']} at batch {summary['batch_size']} in "
        f"{summary['precision']} on {summary['device']}:",
        f"  thesislab, Keras {summary['keras']} on JAX {summary['jax']} (augmentation in the "
        f"step): {jax_side['images_per_s']:,.0f} images/s",
    ]
    if "skipped" in torch_side:
        lines.append(f"  PyTorch: skipped, {torch_side['skipped']}")
    elif torch_side["params"] != jax_side["params"]:
        lines.append(
            f"  PyTorch: not compared, its network has {torch_side['params']:,} parameters and "
            f"thesislab's {jax_side['params']:,}"
        )
    else:
        ratio = jax_side["images_per_s"] / torch_side["images_per_s"]
        lines.append(
            f"  PyTorch {torch_side['torch']} (eager, channels-last, same network: "
            f"{torch_side['params']:,} parameters): {torch_side['images_per_s']:,.0f} images/s "
            f"(thesislab x{ratio:.2f})"
        )
    return "\n".join(lines)


def projection(summary: dict[str, Any]) -> str:
    """The projected time of the whole run, and what it is made of."""
    probe = summary["probe"]
    return (
        f"projected: {summary['projected_s']:,.0f} s for the whole run "
        f"({summary['projected_s'] / 60:.1f} min): {summary['epochs']} epochs of "
        f"{summary['train_images']:,} images at {probe['images_per_s']:,.0f} images/s, "
        f"{probe['compile_s']:.0f} s of compilation, {probe['checkpoint_s']:.2f} s per "
        f"checkpoint, {probe['evaluation_s']:.0f} s of evaluation"
    )


def read_summary(path: Path) -> dict[str, Any]:
    """OUT/throughput.json, or an empty summary where there is none yet."""
    if not path.is_file():
        return {}
    try:
        summary: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ThesislabError(
            f"{path}: expected the kit's summary, found an unreadable file ({error})"
        ) from None
    return summary


def write_summary(path: Path, summary: dict[str, Any]) -> None:
    """Replace OUT/throughput.json atomically."""
    atomic_write_bytes(path, (json.dumps(summary, indent=2) + "\n").encode())


def finished(record: ModelRecord, summary: dict[str, Any]) -> str:
    """The summary line of a finished run."""
    line = (
        f"{record.name}: test accuracy {record.accuracy or 0:.2%}, {record.epochs} epochs in "
        f"{record.training_time_s or 0:,.0f} s, {record.images_per_s or 0:,.0f} images/s over "
        f"the run's steps"
    )
    torch_side = summary["pytorch"]
    if "images_per_s" in torch_side:
        line += f" (PyTorch step: {torch_side['images_per_s']:,.0f} images/s)"
    return line


def run(out: Path, setup: Setup, data_source: str) -> None:
    """One call of the kit into `out` (see the module docstring)."""
    if keras.backend.backend() != "jax":
        raise ThesislabError(
            f"the kit trains under Keras's JAX backend: expected KERAS_BACKEND=jax, "
            f"found {keras.backend.backend()!r}"
        )
    jax.config.update("jax_compilation_cache_dir", str(cache_dir().parent / "jax"))
    summary_path = out / SUMMARY
    summary = read_summary(summary_path)
    store = Store(out)
    if summary and summary["network"] != setup.network:
        raise ThesislabError(
            f"{out}: expected a folder of a {setup.network} run (or a new one), found one of "
            f"{summary['network']}"
        )
    if "record_id" in summary:
        print(comparison(summary))
        record = store.get(summary["record_id"], ModelRecord)
        print(f"already trained: {finished(record, summary)}")
        return

    recipe = resolve_precision(load_recipe(preset=PRESET, **setup.recipe))
    spec = resolve(parse_name(setup.network).spec)
    data = kept(load_data(data_source), setup.images)
    if "probe" not in summary:
        gpu = accelerator()
        summary = {
            "network": setup.network,
            "preset": PRESET,
            "precision": recipe.precision,
            "batch_size": recipe.batch_size,
            "epochs": recipe.epochs,
            "train_images": len(data.train),
            "device": gpu or "CPU",
            "keras": keras.__version__,
            "jax": jax.__version__,
            "probe": probe_jax(spec, recipe, data, setup),
            "pytorch": probe_pytorch(spec, recipe, setup, "cuda" if gpu else "cpu"),
        }
        summary["projected_s"] = projected_s(summary["probe"], recipe, len(data.train))
        write_summary(summary_path, summary)
    else:
        print("throughput measured by the first call:")
    print(comparison(summary))
    print(projection(summary), flush=True)

    result = train_model(spec, recipe, data, out)
    summary["record_id"] = result.record_id
    write_summary(summary_path, summary)
    print(f"{finished(result.record, summary)}; record {result.record_id} in {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description="The GPU kit's driver (see README.md).")
    parser.add_argument("out", type=Path, help="Output folder: records, checkpoint, summary.")
    parser.add_argument("--data", default="sample", help="Data source (thesislab.data).")
    parser.add_argument(
        "--smoke", action="store_true", help="A small WideResNet, a few steps: the same path."
    )
    arguments = parser.parse_args()
    try:
        run(arguments.out, SMOKE if arguments.smoke else FULL, arguments.data)
    except ThesislabError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
