"""Sample runs and calibration networks on the site: on their model pages, on a page of their own
(the sample runs, the lookup tables) and in All results with their role; never in a published
chart's data, frontier or exported figure, in the models index or in what is new."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tests.site.site_records import CALIBRATION_NETWORK, OWN_PAGE, SAMPLE_RUN
from thesislab.figures.cli import chart_app
from thesislab.results.roles import Role
from thesislab.site import payload
from thesislab.site.exports import chart_file
from thesislab.site.links import MODELS_INDEX
from thesislab.site.page import HOME, SAMPLES

PUBLISHED_NAME = "mobilenetv2_d9_er4_w16_own"
"""A published network of the fixture, of the calibration network's architecture."""
KEPT_APART_VALUES = ("0.0123", "0.0456")
"""The kept-apart results' latencies (ms): drawn, a figure would carry them."""


def _chart_configurations(chart) -> set[str]:
    parts = [chart.rows, chart.front_rows, chart.datasets["points"], chart.csv_rows()]
    return {str(config_id) for part in parts for config_id in part.get("config_id", [])}


def test_the_fixture_has_a_sample_run_and_a_calibration_network(results_table, kept_apart):
    roles = results_table.drop_duplicates("name").set_index("name")["role"]
    assert (roles[SAMPLE_RUN], roles[CALIBRATION_NETWORK]) == (Role.SAMPLE, Role.CALIBRATION)
    assert roles[PUBLISHED_NAME] == Role.PUBLISHED and len(kept_apart) == 2
    # Not even as the latency of its architecture: the published network has no int8 row on
    # the device where the calibration network of its architecture was measured in int8.
    published = results_table[results_table["name"] == PUBLISHED_NAME]
    assert "architecture" not in set(published["latency_from"].dropna())


def test_no_published_chart_holds_them_in_its_data_or_frontier(catalogued_pages, kept_apart):
    checked = 0
    for page in catalogued_pages:
        for chart in page.charts.values():
            shown = _chart_configurations(chart)
            own = {name for name, path in OWN_PAGE.items() if path == page.path}
            assert shown & set(kept_apart.values()) == {kept_apart[name] for name in own}, (
                page.path,
                chart.spec.chart_id,
            )
            checked += 1
    overview = next(page for page in catalogued_pages if page.path == HOME).charts["overview"]
    assert PUBLISHED_NAME in set(overview.rows["name"]) and checked > 20


def test_what_is_new_and_the_models_index_list_published_models_only(catalogued_pages):
    home = next(page for page in catalogued_pages if page.path == HOME)
    assert [row["name"] for row in home.context["news"]["latest"]] == ["wrn-40-2-netadapt-own"]
    index = next(page for page in catalogued_pages if page.path == MODELS_INDEX)
    listed = set()
    for chunk in index.context["chunks"]:  # the list comes in data files: scripts of a payload
        data = payload.decode(json.loads(chunk.content.decode().rsplit(" = ", 1)[1][:-2]))
        listed |= {row[data["columns"].index("name")] for row in data["data"]}
    assert PUBLISHED_NAME in listed and not listed & set(OWN_PAGE)


@pytest.mark.slow
def test_an_exported_figure_leaves_them_out_and_chart_export_offers_published_charts(
    results_dirs, catalogued_pages, tmp_path
):
    options = [item for directory in results_dirs for item in ("--results", str(directory))]
    listed = CliRunner().invoke(chart_app, ["list", *options], catch_exceptions=False)
    assert listed.exit_code == 0 and "overview" in listed.output
    assert "samples" not in listed.output.split()
    out = tmp_path / "overview.svg"
    arguments = ["export", "overview", "--format", "svg", "--out", str(out), *options]
    assert CliRunner().invoke(chart_app, arguments, catch_exceptions=False).exit_code == 0
    figure = out.read_text()
    assert "Top-1 accuracy: " in figure
    assert not any(f": {value};" in figure for value in KEPT_APART_VALUES)
    samples = next(page for page in catalogued_pages if page.path == SAMPLES).charts["samples"]
    assert f": {KEPT_APART_VALUES[0]};" in chart_file(samples, "svg").decode()  # drawn: there


@pytest.mark.slow
def test_the_built_site_exports_no_published_data_of_them(built_site):
    exports = built_site.root / "assets" / "thesislab" / "exports"
    seen = {}
    for script in exports.glob("*.js"):
        text = script.read_text().split(f'["{script.stem}"] = ', 1)[1]
        files = json.loads(text.rstrip(";\n"))
        seen[script.stem] = files["csv"]
    assert PUBLISHED_NAME in seen["overview"]
    for chart_id, csv in seen.items():
        assert SAMPLE_RUN not in csv or chart_id == "samples", chart_id
        assert CALIBRATION_NETWORK not in csv or chart_id == "lookup-tables", chart_id
