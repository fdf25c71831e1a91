"""Every command that reads an architecture name refuses a bad one alike: one line, exit code 1,
nothing done."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from thesislab.cli import main

BAD_NAMES = {
    "unknown": ("mobilenetv2_d12_zz6", "mobilenetv2", "unknown part 'zz6'"),
    "unknown_amid": ("mobilenetv2_d6_re2_w16", "mobilenetv2", "unknown part 're2'"),
    "empty": ("mobilenetv2_d12__w32", "mobilenetv2", "an empty part"),
    "without_value": ("mnasnet_d_w32", "mnasnet", "'d' without its value"),
    "repeated": ("effnet_d12_e4_d9", "effnet", "'d9' while its depth is given already"),
    "dashed": ("res-40-2x", "wideresnet", "unknown part '2x'"),
}

QUICKLY = {
    "bench": ["-q", "fp32", "--protocol", "quick", "--passes", "1", "--runs", "1"],
    "train": ["--epochs", "1", "--batch-size", "64"],
}
"""Options that keep a command short should it take a bad name for a network."""


def _command(command: str, directory: Path, name: str) -> list[str]:
    """The arguments of `command` reading `name`, writing (if at all) under `directory`."""
    out = str(directory / "out")
    if command == "models_show":
        return ["models", "show", name]
    if command == "bench_arch":
        return ["bench", "--arch", name, "-r", out, *QUICKLY["bench"]]
    if command == "train":
        return ["train", name, "-r", out, *QUICKLY["train"]]
    study = directory / "study.yaml"
    study.write_text(f"name: names\narchitectures: [{name}]\n")
    return ["run", str(study), "--dry-run"]


@pytest.mark.parametrize("command", ["models_show", "bench_arch", "train", "study_dry_run"])
@pytest.mark.parametrize("bad", BAD_NAMES)
def test_a_bad_name_is_refused_by_every_command(command, bad, tmp_path, monkeypatch, capsys):
    name, family, received = BAD_NAMES[bad]
    monkeypatch.setattr(sys, "argv", ["thesislab", *_command(command, tmp_path, name)])
    with pytest.raises(SystemExit) as done:
        main()
    assert done.value.code == 1
    error = capsys.readouterr().err
    assert error.startswith("error: ") and error.count("\n") == 1
    assert f"model name {name!r}: expected {family} parameters (d<n>, " in error
    assert f"received {received}" in error
    assert sorted(path.name for path in tmp_path.iterdir()) in ([], ["study.yaml"])
