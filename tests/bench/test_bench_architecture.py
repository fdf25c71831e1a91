"""`thesislab bench --arch`: an architecture measured without training, in one command."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd

from thesislab.results.table import table
from thesislab.store import Store


def test_bench_measures_an_architecture_untrained(tmp_path):
    command = [sys.executable, "-c", "from thesislab.cli import main; main()", "bench"]
    command += ["--arch", "res_d10_w16", "-q", "fp32", "--results", str(tmp_path)]
    command += ["--protocol", "quick", "--runs", "5", "--passes", "1", "--warmup", "1"]
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    [model] = Store(tmp_path).load(["model"]).values()
    assert model.weights == "untrained" and model.name == "res_d10_w16"
    frame = table(tmp_path)
    assert len(frame) == 1
    row = frame.iloc[0]
    assert row["stage"] == "untrained" and row["device"] == "local"
    assert row["latency_ms"] > 0 and pd.isna(row["accuracy"])


def test_bench_without_artifacts_or_architectures_is_a_one_line_error(tmp_path):
    command = [sys.executable, "-c", "from thesislab.cli import main; main()", "bench"]
    done = subprocess.run([*command, "--results", str(tmp_path)], capture_output=True, text=True)
    assert done.returncode != 0
    assert "expected artifact ids or --arch, received neither" in done.stderr
    assert "Traceback" not in done.stderr
