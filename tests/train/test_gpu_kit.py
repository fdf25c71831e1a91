"""The GPU kit's smoke run (`benchmarks/device/run.sh --smoke`), in processes where TensorFlow and
LiteRT cannot be imported, as on a GPU machine that has only JAX and PyTorch."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.without_modules import run_without
from thesislab.records import ModelRecord, TrainingRecipe
from thesislab.store import Store

pytestmark = pytest.mark.slow

KIT = REPO_ROOT / "benchmarks" / "device" / "run.sh"
ABSENT_ON_A_GPU_MACHINE = ("tensorflow", "ai_edge_litert")


def smoke(out: Path) -> subprocess.CompletedProcess[str]:
    """`run.sh --smoke OUT` with TensorFlow unimportable in every Python process it starts."""
    code = (
        "import subprocess, sys; "
        f"sys.exit(subprocess.run(['bash', {str(KIT)!r}, '--smoke', {str(out)!r}]).returncode)"
    )
    return run_without(ABSENT_ON_A_GPU_MACHINE, code, env={"PYTHON": sys.executable})


def test_the_smoke_run_trains_records_and_compares_without_tensorflow(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = smoke(out)
    assert first.returncode == 0, first.stdout + first.stderr
    output = first.stdout
    assert output.index("projected:") < output.index("training res_d10_w16")

    ((record_id, record),) = Store(out).of_kind(ModelRecord).items()
    assert record.environment is not None and record.environment.backend == "jax"
    assert isinstance(record.recipe, TrainingRecipe) and record.recipe.name == "thesis2019"
    assert record.epochs == 2 and record.accuracy is not None
    assert record.images_per_s is not None and record.images_per_s > 0
    assert record.weights_path is not None and (out / record.weights_path).is_file()
    assert not list(out.glob("checkpoints/*"))

    summary = json.loads((out / "throughput.json").read_text())
    assert summary["record_id"] == record_id
    assert summary["probe"]["params"] == record.params
    assert summary["probe"]["images_per_s"] > 0 and summary["projected_s"] > 0
    if importlib.util.find_spec("torch") is None:
        assert summary["pytorch"] == {"skipped": "torch is not installed"}
        assert "PyTorch: skipped, torch is not installed" in output
    else:
        assert summary["pytorch"]["params"] == record.params
        assert summary["pytorch"]["images_per_s"] > 0

    again = smoke(out)
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"already trained: {record.name}" in again.stdout
    assert list(Store(out).of_kind(ModelRecord)) == [record_id]
    assert (out / "kit.log").read_text().count("run.sh --smoke") == 2
