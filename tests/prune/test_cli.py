"""`thesislab prune` and `thesislab lut`, through Typer."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from tests.conftest import REPO_ROOT
from tests.prune.conftest import FAKE_DEVICE, TINY_WRN, Trained, write_fake_table
from thesislab.errors import ThesislabError
from thesislab.latency.cli import lut_app
from thesislab.options import parse_assignments
from thesislab.prune.cli import prune

app = typer.Typer()
app.command("prune")(prune)
app.add_typer(lut_app, name="lut")
runner = CliRunner()


@pytest.mark.parametrize("command", [["prune"], ["lut", "build"], ["lut", "show"]])
def test_help_has_an_example(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"], terminal_width=200)
    assert result.exit_code == 0
    assert "Example: thesislab" in result.output


def test_settings_are_read_as_json_where_they_parse() -> None:
    assert parse_assignments(["prune_every=10", "allow_small=true", "like=uniform"], "-s") == {
        "prune_every": 10,
        "allow_small": True,
        "like": "uniform",
    }
    with pytest.raises(ThesislabError, match="--setting: expected key=value, received 'oops'"):
        parse_assignments(["oops"], "--setting")


def test_importing_the_commands_stays_light() -> None:
    code = "import sys, thesislab.prune.cli; print('keras' in sys.modules, 'numpy' in sys.modules)"
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, check=True
    ).stdout
    assert output.split() == ["False", "False"]


@pytest.mark.slow
def test_prune_command_writes_and_reports_records(trained: Trained) -> None:
    arguments = ["prune", trained.model_id[:8], "--method", "uniform", "--target", "params=0.5"]
    options = ["--results", str(trained.results), "--data", trained.data]
    result = runner.invoke(app, [*arguments, *options, "--fine-tune-epochs", "0", "--no-retrain"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("pruned: model record ")
    assert "fine-tuned" not in result.output and "retrained" not in result.output

    bad = runner.invoke(app, [*arguments[:-1], "flops=0.5", *options])
    assert isinstance(bad.exception, ThesislabError)
    assert "expected one of channels=..." in str(bad.exception)


def test_lut_show_prints_a_table(tmp_path: Path) -> None:
    write_fake_table(tmp_path, TINY_WRN)
    options = ["--family", "wideresnet", "--param", "depth=10", "--param", "width=16"]
    result = runner.invoke(
        app,
        ["lut", "show", *options, "-d", FAKE_DEVICE, "-r", str(tmp_path)],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "conv 3x3/1x1 @32x32 g1" in result.output
    missing = runner.invoke(app, ["lut", "show", *options, "-d", "pi3", "-r", str(tmp_path)])
    assert isinstance(missing.exception, ThesislabError)
    assert "thesislab lut build --device pi3 --family wideresnet" in str(missing.exception)
