"""Fixtures for study tests: a tiny image-folder data set drawn from the bundled sample, and
shipped studies cut down to run in seconds."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
TRAIN_PER_CLASS, TEST_PER_CLASS = 20, 10


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> str:
    """200 training and 100 test images of the bundled sample, as an image folder."""
    from thesislab.data import load_data

    sample = load_data("sample")
    root = tmp_path_factory.mktemp("tiny-cifar")
    for split, per_class in (("train", TRAIN_PER_CLASS), ("test", TEST_PER_CLASS)):
        images = getattr(sample, split)
        for label, name in enumerate(sample.classes):
            folder = root / split / name
            folder.mkdir(parents=True)
            for index in np.flatnonzero(images.labels == label)[:per_class]:
                Image.fromarray(images.images[index]).save(folder / f"{index:04d}.png")
    return str(root)


def cut_down(study_file: Path, data: str, entries: int | list[str]) -> dict[str, Any]:
    """The study at a reduced size: its first `entries` entries, or those named (and the
    teachers they name), one seed, one epoch on `data`, a small calibration set and the quick
    protocol in one pass without re-measurement."""
    study = yaml.safe_load(study_file.read_text())

    def teacher(entry: Any) -> str | None:
        return (
            (entry.get("stages") or {}).get("train", {}).get("teacher")
            if isinstance(entry, dict)
            else None
        )

    def label(entry: Any) -> str:
        return entry if isinstance(entry, str) else entry.get("name", entry["arch"])

    everything = study["architectures"]
    if isinstance(entries, int):
        kept = everything[:entries]
    else:
        kept = [entry for entry in everything if label(entry) in entries]
    needed = {teacher(entry) for entry in kept} - {label(entry) for entry in kept} - {None}
    kept = [entry for entry in study["architectures"] if label(entry) in needed] + kept
    study = copy.deepcopy(study)
    study.update(architectures=kept, data=data)
    study["recipe"] = {
        **study.get("recipe", {}),
        "epochs": 1,
        "batch_size": 50,
        "validation_size": 0,
    }
    defaults = study.setdefault("defaults", {})
    defaults["seeds"] = [1]
    stages = defaults.get("stages", {})
    if "convert" in stages:
        stages["convert"]["representative_size"] = 20
    if "bench" in stages:
        # one pass, measured once: passes and re-measuring those that disagree are not what
        # these tests are about
        stages["bench"]["protocol"] = {"preset": "quick", "remeasures": 0, "passes": 1}
    return study


@pytest.fixture
def inventory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A device inventory with a device 'pi' besides 'local' (fake stages never reach it), for
    this test and the processes it starts."""
    path = tmp_path / "devices.yaml"
    path.write_text(yaml.safe_dump({"devices": {"pi": {"host": "127.0.0.1", "user": "pi"}}}))
    monkeypatch.setenv("THESISLAB_DEVICES", str(path))
    return path
