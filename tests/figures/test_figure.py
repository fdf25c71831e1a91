r"""`thesislab figure`: a figure spec (or options) selects rows of the results table and writes
them as CSV (the rows selected, no other), PGF/TikZ (one \addplot per colour group, its rows as
coordinates, the Pareto front as its own, no font of its own), PDF, SVG and PNG; options override
the spec; bad names and empty selections are one-line errors that list what is valid; and
`chart export` writes the site's charts through the same renderers, PGF included."""

from __future__ import annotations

import csv
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.figures.figure_records import LOCAL, PI, PRUNED, SAMPLE, SMALL, STUDENT, THESIS
from thesislab.cli import app
from thesislab.errors import ThesislabError
from thesislab.figures.spec import COLOUR_FIELDS, FILTER_FIELDS, SPEC_KEYS, X_FIELDS
from thesislab.site.charts.vega import print_size
from thesislab.site.exports import PNG_PPI

PLOT = re.compile(
    r"\\addplot\[(?P<options>[^\n]*)\] coordinates \{\n(?P<points>.*?)\n\};\n"
    r"(?:\\addlegendentry\{(?P<entry>[^\n]*)\}\n)?",
    re.S,
)
POINT = re.compile(r"\(([^,()]+),([^,()]+)\)")


def _plots(source: str) -> list[tuple[str, list[tuple[float, float]], str | None]]:
    """Each `\addplot` of a PGF source: its options, its coordinates and its legend entry."""
    return [
        (
            match["options"],
            [
                (float(x), float(y))  # a line's first pair: its point (then its error bar's)
                for x, y in (POINT.findall(line)[0] for line in match["points"].splitlines())
            ],
            match["entry"],
        )
        for match in PLOT.finditer(source)
    ]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as file:
        return list(csv.DictReader(file))


def _spec(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "chapter.yaml"
    path.write_text(text)
    return path


def _published(frame, **equal: str):
    """The published rows of `frame` with an accuracy and a latency whose columns hold the
    values given."""
    keep = (frame["role"] == "published") & frame["accuracy"].notna()
    keep &= frame["latency_ms"].notna()
    for column, value in equal.items():
        keep &= frame[column] == value
    return frame[keep]


def _identities(rows) -> set[tuple[str, str, str]]:
    return {(row["name"], row["quantization"], row["device"]) for row in rows}


def test_the_csv_holds_the_rows_selected_and_no_other(thesislab, figure_table, tmp_path):
    spec = _spec(tmp_path, "filters:\n  quantization: [fp32]\ndevices: [local]\n")
    said = thesislab("figure", str(spec), "--format", "csv", "--out", str(tmp_path / "fig"))
    rows = _rows(tmp_path / "fig.csv")
    expected = _published(figure_table, quantization="fp32", device=LOCAL)
    assert _identities(rows) == _identities(expected.to_dict("records"))
    assert {row["name"] for row in rows} == {SMALL, PRUNED, STUDENT}  # no sample run, no Pi
    assert said.strip() == f"wrote {tmp_path / 'fig.csv'}: 3 rows"
    sample = tmp_path / "sample.csv"
    thesislab("figure", "--filter", "role=sample", "--out", str(sample))
    assert [row["name"] for row in _rows(sample)] == [SAMPLE]  # asked for by its role


def test_the_pgf_draws_one_plot_per_colour_with_its_rows_and_the_front(
    thesislab, figure_table, tmp_path
):
    out = tmp_path / "families.pgf"
    thesislab("figure", "--colour", "family", "--log-x", "--out", str(out))
    source = out.read_text()
    plots = _plots(source)
    groups = {entry: points for _, points, entry in plots if entry}
    published = _published(figure_table)
    assert set(groups) == set(published["family"])
    for family, points in groups.items():
        rows = published[published["family"] == family]
        assert sorted(points) == sorted(zip(rows["latency_ms"], rows["accuracy"], strict=True))
    fronts = [(points, entry) for options, points, entry in plots if "const plot" in options]
    assert source.count(r"\addplot") == len(groups) + 1
    assert fronts == [([(1.0, 0.9), (2.0, 0.91), (10.0, 0.93)], None)]  # int8, student, pruned
    thesis = next(row for row in source.splitlines() if row.strip().startswith("(25,0.905)"))
    assert thesis.endswith("[thesislab-circle-hollow]")  # the 2019 thesis's result: hollow
    assert re.search(r"\bxmode=log\b", source) and "ymode" not in source
    assert r"\usepackage{pgfplots}" in source  # how to \input it, said in a comment
    settings = [line for line in source.splitlines() if not line.startswith("%")]
    assert not [line for line in settings if re.search(r"font|\\(tiny|small|large)", line)]


def test_the_front_runs_along_the_lowest_error_and_a_configuration_is_one_point(
    thesislab, tmp_path
):
    out = tmp_path / "error"
    thesislab("figure", "--x", "params", "--y", "error", "-F", "pgf", "-F", "csv", "-o", str(out))
    rows = _rows(tmp_path / "error.csv")
    # The MobileNetV2 measured on two devices is one point per quantization.
    assert sorted((row["name"], row["quantization"]) for row in rows) == sorted(
        [(SMALL, "fp32"), (SMALL, "int8"), (PRUNED, "fp32"), (STUDENT, "fp32"), (THESIS, "fp32")]
    )
    for row in rows:
        assert float(row["error"]) == pytest.approx(1 - float(row["accuracy"]))
    plots = _plots((tmp_path / "error.pgf").read_text())
    front = next(points for options, points, _ in plots if "const plot" in options)
    assert front == [(150000, pytest.approx(0.09)), (600000, pytest.approx(0.07))]


def test_a_logarithmic_axis_leaves_out_what_it_cannot_show(thesislab, tmp_path):
    names = {}
    for scale in ("--log-x", "--linear-x"):
        out = tmp_path / f"{scale}.csv"
        thesislab("figure", "--x", "training_time_s", scale, "--out", str(out))
        names[scale] = {row["name"] for row in _rows(out)}
    assert STUDENT in names["--linear-x"]  # trained in 0 s
    assert names["--log-x"] == names["--linear-x"] - {STUDENT}
    assert THESIS not in names["--linear-x"]  # no training time recorded


def test_options_override_the_spec(thesislab, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # where the files of a spec are written by default
    spec = _spec(
        tmp_path,
        "x: latency_ms\ncolour: family\nfilters:\n  quantization: [fp32]\n"
        "title: Int8 on the laptop\n",
    )
    thesislab(
        "figure", str(spec), "--x", "size_bytes", "--filter", "quantization=int8",
        "--colour", "quantization", "-F", "csv", "-F", "pgf",
    )  # fmt: skip
    rows = _rows(Path("chapter.csv"))
    source = Path("chapter.pgf").read_text()
    assert {row["quantization"] for row in rows} == {"int8"}
    assert [row["size_bytes"] for row in rows] == ["500.0"]  # the mean of its seeds' files
    assert "xlabel={TFLite size (bytes)}" in source
    assert "title={Int8 on the laptop}" in source  # the spec's, where no option replaces it
    assert [entry for _, _, entry in _plots(source) if entry] == ["int8"]


def test_a_pdf_svg_and_png_of_a_spec(thesislab, tmp_path):
    spec = _spec(
        tmp_path,
        f"x: macs\nlog_x: true\ncolour: pruning_method\nhighlight: [{PRUNED}]\n"
        "width_cm: 12\nfont_size_pt: 10\n",
    )
    said = thesislab(
        "figure", str(spec), "-F", "pdf", "-F", "svg", "-F", "png", "-o", str(tmp_path)
    )
    assert said.count("12 cm wide, 4 points") == 3  # the published with MACs: not the thesis's
    magic = {"pdf": b"%PDF", "svg": b"<svg", "png": b"\x89PNG"}
    for suffix, start in magic.items():  # in the folder given, named as the spec
        assert (tmp_path / f"chapter.{suffix}").read_bytes().startswith(start)
    pdftotext = shutil.which("pdftotext")
    if pdftotext:
        text = subprocess.run(
            [pdftotext, str(tmp_path / "chapter.pdf"), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert "Accuracy against MACs" in text and PRUNED in text and "netadapt" in text
    png = (tmp_path / "chapter.png").read_bytes()
    assert struct.unpack(">I", png[16:20])[0] == pytest.approx(
        print_size(12)[0] * PNG_PPI / 72, abs=1
    )


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_the_pgf_compiles_in_a_document_and_takes_its_fonts(thesislab, tmp_path):
    thesislab("figure", "--highlight", SMALL, "--log-x", "-o", str(tmp_path / "figure.pgf"))
    source = (tmp_path / "figure.pgf").read_text()
    assert source.count(r"[{mobilenetv2\_d9\_er4\_w16}]") == 3  # its three points, named
    (tmp_path / "thesis.tex").write_text(
        "\\documentclass[12pt]{article}\n\\usepackage{pgfplots}\n\\begin{document}\n"
        "\\input{figure.pgf}\n\\end{document}\n"
    )
    compiled = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "thesis.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert compiled.returncode == 0, compiled.stdout[-2000:]
    pdffonts = shutil.which("pdffonts")
    if pdffonts:
        listed = subprocess.run(
            [pdffonts, str(tmp_path / "thesis.pdf")], capture_output=True, text=True, check=True
        ).stdout.splitlines()[2:]
        fonts = {line.split()[0].partition("+")[2] for line in listed}
        assert "CMR12" in fonts and all(font.startswith("CM") for font in fonts), fonts


def test_an_unknown_name_is_refused_with_the_valid_ones(thesislab, tmp_path):
    with pytest.raises(ThesislabError, match=", ".join(X_FIELDS)) as refused:
        thesislab("figure", "--x", "latncy")
    assert "received 'latncy'" in str(refused.value)
    with pytest.raises(ThesislabError, match=", ".join(COLOUR_FIELDS)):
        thesislab("figure", _spec(tmp_path, "colour: colour\n").as_posix())
    with pytest.raises(ThesislabError, match=r"did you mean colour\?.*" + ", ".join(SPEC_KEYS)):
        thesislab("figure", _spec(tmp_path, "colur: family\n").as_posix())
    with pytest.raises(ThesislabError, match=", ".join(FILTER_FIELDS)):
        thesislab("figure", "--filter", "famly=mobilenetv2")
    with pytest.raises(ThesislabError, match="among mobilenetv1, mobilenetv2, wideresnet"):
        thesislab("figure", "--filter", "family=mobilnetv2")
    with pytest.raises(ThesislabError, match=f"devices: expected values among {LOCAL}, {PI}"):
        thesislab("figure", "--device", "toaster")
    with pytest.raises(ThesislabError, match=f"closest: {SMALL}"):
        thesislab("figure", "--highlight", "mobilenetv2_d9_er4_w61")


def test_an_empty_selection_says_which_filter_emptied_it(thesislab):
    with pytest.raises(ThesislabError) as refused:
        thesislab("figure", "--filter", "quantization=int8", "--device", PI)
    message = str(refused.value)
    assert "\n" not in message
    assert message.endswith(
        f"role published keeps 7; quantization int8 keeps 1; device {PI} keeps 0"
    )


def test_chart_export_writes_a_site_chart_as_pgf(thesislab, figure_table, tmp_path):
    out = tmp_path / "overview.pgf"
    said = thesislab("chart", "export", "overview", "--format", "pgf", "--out", str(out))
    device = said.strip().rpartition("device ")[2]
    source = out.read_text()
    assert f"title={{Device: {device}}}" in source
    shown = _published(figure_table, device=device)
    groups = {entry: points for _, points, entry in _plots(source) if entry in set(shown["family"])}
    for family, points in groups.items():
        rows = shown[shown["family"] == family]
        assert sorted(points) == sorted(zip(rows["latency_ms"], rows["accuracy"], strict=True))
    assert set(groups) == set(shown["family"])
    with pytest.raises(ThesislabError, match="joined in pairs: export it as pdf, svg or png"):
        thesislab("chart", "export", "quantization", "--format", "pgf", "--out", str(out))


def test_figure_help_explains_the_spec_with_examples():
    shown = CliRunner().invoke(app, ["figure", "--help"], env={"COLUMNS": "120"}).output
    assert "Example: thesislab figure" in shown
    assert all(key in shown for key in SPEC_KEYS)
