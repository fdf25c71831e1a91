"""A training process killed with SIGKILL mid-epoch continues from its last finished epoch."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from tests.conftest import REPO_ROOT
from tests.train.conftest import TINY_MOBILENET, train_command
from thesislab.cli import app
from thesislab.records import ModelRecord
from thesislab.store import Store

pytestmark = pytest.mark.slow


def checkpoint_meta(path: Path) -> dict[str, Any]:
    with np.load(path) as checkpoint:
        return dict(json.loads(str(checkpoint["meta"])))


def test_kill_mid_epoch_then_resume(tmp_path: Path) -> None:
    results = tmp_path / "results"
    arguments = (TINY_MOBILENET, "--results", str(results), "--epochs", "2", "--batch-size", "32")
    process = subprocess.Popen(
        train_command(*arguments),
        cwd=REPO_ROOT,
        env={**os.environ, "KERAS_BACKEND": "tensorflow"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while not list(results.glob("checkpoints/*.npz")):
            assert process.poll() is None, "training ended before its first checkpoint"
            assert time.monotonic() < deadline, "no checkpoint after 120 s"
            time.sleep(0.05)
        time.sleep(0.3)  # into the second epoch (4 s long on a 2-core CPU)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()

    assert process.returncode == -signal.SIGKILL
    (checkpoint,) = results.glob("checkpoints/*.npz")
    meta = checkpoint_meta(checkpoint)
    assert meta["epoch"] == 1
    assert not list(results.glob("model/*.json"))

    resumed = CliRunner().invoke(app, ["train", *arguments])  # in this process: no fresh import

    assert resumed.exit_code == 0, resumed.output
    assert "resuming after epoch 1 of 2" in resumed.stdout
    (record,) = Store(results).of_kind(ModelRecord).values()
    assert record.epochs == 2
    assert [stats.epoch for stats in record.history] == [1, 2]
    assert record.history[0].model_dump(mode="json") == meta["history"][0]
    assert not checkpoint.exists()

    again = CliRunner().invoke(app, ["train", *arguments])
    assert again.exit_code == 0, again.output
    assert again.stdout.startswith("already trained: model record")
