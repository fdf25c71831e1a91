"""`thesislab data prepare` and `thesislab data info`."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from tests.data.data_sources import archive, write_image_folder
from thesislab.data import resolve
from thesislab.data.cli import app


def test_prepare_then_info(tmp_path: Path, arrays) -> None:
    source = archive(
        write_image_folder(tmp_path / "tiny", arrays["train"], arrays["test"]),
        tmp_path / "tiny.tar.gz",
    )
    runner = CliRunner()

    prepared = runner.invoke(app, ["prepare", str(source)])
    info = runner.invoke(app, ["info", str(source)], terminal_width=200)

    assert prepared.exit_code == 0, prepared.output
    assert "tiny: 12 train + 6 test images" in prepared.output
    assert info.exit_code == 0, info.output
    fingerprint = resolve(source).decode().fingerprint
    assert f"fingerprint: {fingerprint}" in info.output
    assert str(resolve(source).cache_path) in info.output.replace("\n", "")
    assert "│ frog  │     4 │    2 │" in info.output


def test_info_of_the_default_sample() -> None:
    result = CliRunner().invoke(app, ["info"], terminal_width=200)

    assert result.exit_code == 0, result.output
    assert "cifar10-jpeg-sample" in result.output
    assert "│ all        │  4000 │ 1000 │" in result.output


def test_help_has_examples() -> None:
    for command in ("prepare", "info"):
        result = CliRunner().invoke(app, [command, "--help"])
        assert "Example: thesislab data" in result.output
