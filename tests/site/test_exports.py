"""Figures for a thesis, as `thesislab chart export` writes them: whole (every legend entry in
the PDF's text, none cut at its edge), titled with the device, a column or the page wide, fonts
embedded, PNGs that say their resolution; `chart list` and `chart export` say what they show."""

from __future__ import annotations

import re
import struct
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.site import device_records
from tests.site.site_records import PI
from tests.system_deps import require_executable
from thesislab.errors import ThesislabError
from thesislab.figures.cli import chart_app
from thesislab.site.charts.layers import OWN_MARKS, REFERENCE_MARKS
from thesislab.site.charts.vega import COLUMN_WIDTH_CM, PAGE_WIDTH_CM, print_size
from thesislab.site.exports import PNG_PPI
from thesislab.site.pages import site_pages
from thesislab.store import Store


@pytest.fixture(scope="module")
def charts(results_table):
    pages = site_pages(results_table)
    return {chart.spec.chart_id: chart for page in pages for chart in page.charts.values()}


@pytest.fixture(scope="module")
def results_options(results_dirs) -> list[str]:
    return [item for directory in results_dirs for item in ("--results", str(directory))]


def _export(results_options: list[str], *arguments: str) -> str:
    result = CliRunner().invoke(
        chart_app, ["export", *arguments, *results_options], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result.output


def _poppler(program: str, path: Path) -> str:
    executable = require_executable(program, "poppler-utils")
    return subprocess.run(
        [executable, str(path), *(["-"] if program == "pdftotext" else [])],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def _legend(chart) -> list[str]:
    """Every entry and title of the chart's legends."""
    layout = chart.layout
    entries = [chart.spec.colour_title, *(value for value, _ in layout.colours)]
    if chart.spec.shape:
        entries += [chart.spec.shape_title, *layout.shapes]
    if layout.has_reference:
        entries += [*([OWN_MARKS] if layout.has_own else []), REFERENCE_MARKS]
    return entries


@pytest.mark.parametrize("chart_id", ["quantization", "family-wideresnet", "overview", "pruning"])
def test_an_exported_pdf_holds_its_whole_legend_and_names_its_device(
    charts, results_options, tmp_path, chart_id
):
    out = tmp_path / f"{chart_id}.pdf"
    said = _export(results_options, chart_id, "--out", str(out))
    chart = charts[chart_id]
    device = chart.defaults["device"]
    assert said.strip() == f"wrote {out}: {COLUMN_WIDTH_CM:g} cm wide, device {device}" + (
        f", stage {chart.defaults['stage']}" if "stage" in chart.defaults else ""
    )
    text = " ".join(_poppler("pdftotext", out).split())
    assert f"Device: {device}" in text
    missing = [entry for entry in _legend(chart) if entry not in text]
    assert missing == [], text
    fonts = _poppler("pdffonts", out).splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts  # embedded


def test_a_figure_is_a_column_or_the_page_wide(results_options, tmp_path):
    sizes = {}
    for width in (COLUMN_WIDTH_CM, PAGE_WIDTH_CM):
        out = tmp_path / f"{width}.pdf"
        said = _export(results_options, "quantization", "--width", f"{width:g}", "--out", str(out))
        assert f"{width:g} cm wide" in said
        info = _poppler("pdfinfo", out)
        page = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
        assert page is not None, info
        sizes[width] = (float(page[1]), float(page[2]))
    for width, (points, _) in sizes.items():
        assert points == pytest.approx(width / 2.54 * 72, abs=1)
        assert points == print_size(width)[0]
    with pytest.raises(ThesislabError, match="expected --width between 4 and 40"):
        _export(results_options, "quantization", "--width", "2")


def test_a_png_says_it_is_300_dpi(results_options, tmp_path):
    out = tmp_path / "figure.png"
    _export(results_options, "family-effnet", "--format", "png", "--out", str(out))
    png = out.read_bytes()
    width = struct.unpack(">I", png[16:20])[0]
    assert width == round(print_size(COLUMN_WIDTH_CM)[0] * PNG_PPI / 72)
    chunk = png.index(b"pHYs")
    assert png.count(b"pHYs") == 1 and chunk == 8 + 25 + 4  # right after the header
    per_metre_x, per_metre_y, unit = struct.unpack(">IIB", png[chunk + 4 : chunk + 13])
    assert unit == 1 and per_metre_x == per_metre_y == round(PNG_PPI / 0.0254)


def test_chart_list_says_what_each_figure_shows(results_options, results_table):
    result = CliRunner().invoke(chart_app, ["list", *results_options], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    overview = lines.index(next(line for line in lines if line.startswith("overview ")))
    assert lines[overview + 1].split() == ["device:", PI, "(or", "local)"]
    fisher = lines.index(next(line for line in lines if line.startswith("method-fisher ")))
    assert [line.split() for line in lines[fisher + 1 : fisher + 3]] == [
        ["device:", PI],  # the only one
        ["stage:", "retrained", "(or", "pruned)"],
    ]
    listed = {line.split()[0] for line in lines if not line.startswith(" ")}
    pages = site_pages(results_table)
    exported = {
        chart.spec.chart_id
        for page in pages
        if page.exported  # not the sample runs' page
        for chart in page.charts.values()
        if not chart.empty
    }
    assert listed == exported and not all(page.exported for page in pages)


def test_exporting_elsewhere_than_the_start_names_what_it_shows(results_options, tmp_path):
    out = tmp_path / "overview.pdf"
    said = _export(results_options, "overview", "--select", "device=local", "--out", str(out))
    assert said.strip().endswith("device local")
    assert "Device: local" in " ".join(_poppler("pdftotext", out).split())


def test_a_chart_id_wins_over_the_page_of_the_same_name(tmp_path):
    results = tmp_path / "results"
    device_records.write_device_results(Store(results))
    options = ["--results", str(results)]
    listed = CliRunner().invoke(chart_app, ["list", *options], catch_exceptions=False).output
    assert {"devices", "devices-front-local"} <= set(listed.split())  # both on the devices page
    out = tmp_path / "devices.pdf"
    said = _export(options, "devices", "--out", str(out))
    assert out.is_file() and said.count("wrote") == 1
