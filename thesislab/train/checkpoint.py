"""Per-epoch checkpoints: everything a killed run needs to continue where it stopped.

A checkpoint is one `.npz` file, replaced atomically after every epoch: the model's and the
optimizer's variables (the optimizer's step counter drives the learning-rate schedule), the number
of finished epochs, their history and timings. The random draws need no state of their own: each
epoch's shuffle, crops and flips come from a generator seeded by (recipe seed, epoch), and dropout's
seed generators are model variables.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from thesislab.data.cache import read_npz, write_npz
from thesislab.errors import ThesislabError
from thesislab.records import EpochStats


@dataclass
class Checkpoint:
    """The state of a run after `epoch` finished epochs."""

    epoch: int = 0
    history: list[EpochStats] = field(default_factory=list)
    seconds: float = 0.0
    """Wall time of the finished epochs, training and validation."""
    step_seconds: float = 0.0
    """Time spent in training steps only (for images per second)."""
    images: int = 0
    """Training images processed."""
    state: list[np.ndarray] = field(default_factory=list)


def save_checkpoint(path: Path, checkpoint: Checkpoint) -> None:
    """Write `checkpoint` to `path`, replacing the previous one atomically."""
    meta = {
        "epoch": checkpoint.epoch,
        "history": [stats.model_dump(mode="json") for stats in checkpoint.history],
        "seconds": checkpoint.seconds,
        "step_seconds": checkpoint.step_seconds,
        "images": checkpoint.images,
    }
    arrays = {f"state_{index:04d}": array for index, array in enumerate(checkpoint.state)}
    write_npz(path, {"meta": np.array(json.dumps(meta)), **arrays})


def load_checkpoint(path: Path, expected: list[np.ndarray]) -> Checkpoint | None:
    """The checkpoint at `path`, or None; its arrays must have the shapes of `expected`'s."""
    if not path.is_file():
        return None
    try:
        arrays = read_npz(path)
        meta = json.loads(str(arrays.pop("meta")))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
        raise ThesislabError(
            f"{path}: expected a training checkpoint, found an unreadable file ({error}); "
            "delete it to start the run again"
        ) from None
    state = [arrays[key] for key in sorted(arrays)]
    shapes = [array.shape for array in state]
    if shapes != [array.shape for array in expected]:
        raise ThesislabError(
            f"{path}: checkpoint holds {len(state)} arrays that do not fit this model's "
            f"{len(expected)} variables; delete it to start the run again"
        )
    return Checkpoint(
        epoch=meta["epoch"],
        history=[EpochStats.model_validate(stats) for stats in meta["history"]],
        seconds=meta["seconds"],
        step_seconds=meta["step_seconds"],
        images=meta["images"],
        state=state,
    )
