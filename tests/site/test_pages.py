"""Page generation without a browser: which pages exist, what they count, and that values from
result files reach the HTML as text."""

from __future__ import annotations

import json

import altair as alt
import pytest
from markupsafe import escape

from tests.site.site_records import HOSTILE_FAMILY, HOSTILE_NAME, LOCAL, PI, THESIS_RESULTS
from thesislab.differences import DIFFERENCES
from thesislab.errors import ThesislabError
from thesislab.results.table import table
from thesislab.site import frames, payload
from thesislab.site.charts.data import Chart, ChartSpec
from thesislab.site.charts.vega import COLUMN_WIDTH_CM, print_size, spec_json, vega_lite_json
from thesislab.site.page import HOME, slug
from thesislab.site.pages import site_pages
from thesislab.site.render import render_page


@pytest.fixture(scope="module")
def pages(results_table):
    return site_pages(results_table)


@pytest.fixture(scope="module")
def rendered(pages):
    return {page.path: render_page(page, pages) for page in pages}


def test_every_page_is_generated_in_navigation_order(pages, results_table):
    paths = [page.path for page in pages]
    finished = results_table[results_table["stage"] != "pruned"]
    families = sorted(set(finished["family"]) - {HOSTILE_FAMILY})
    methods = sorted(set(results_table["pruning_method"].dropna()))
    assert {"mobilenetv2", "wideresnet"} <= set(families) and "netadapt" in methods
    assert paths == [
        HOME,
        "families/index.md",
        f"families/{slug(HOSTILE_FAMILY)}.md",  # '<' sorts before letters
        *[f"families/{family}.md" for family in families],
        "pruning/index.md",
        *[f"pruning/{method}.md" for method in methods],
        "distillation.md",
        "quantization.md",
        "devices.md",
        "lookup-tables.md",
        "differences.md",
        "samples.md",
        "results.md",
        "explore.md",
        "schema.md",
    ]


def test_slugs_are_file_names_and_distinct():
    assert slug("wideresnet") == "wideresnet"
    assert slug(HOSTILE_FAMILY).startswith("svg-onload-alert-2-")
    assert slug("Net A") != slug("net-a")
    assert slug("<>") != slug("><")
    assert slug("index") != "index"  # the overview pages are index.md


OWN_ROWS = 7
"""Published rows of `write_own_results`: the small model's fp32 on two devices and int8, the
teacher, the student, the strange family and the pruned network, each measured."""
KEPT_APART = 3
"""Rows of the sample run (on two devices) and of the calibration network."""


def test_home_counts_results_sources_and_devices(pages, rendered, results_table):
    thesis = table([THESIS_RESULTS])
    home = next(page for page in pages if page.path == HOME)
    assert home.context["results"] == len(thesis) + OWN_ROWS == len(results_table) - KEPT_APART
    assert home.context["devices"] == len(set(thesis["device"].dropna()) | {LOCAL, PI})
    text = rendered[HOME]
    assert f"{len(thesis) + OWN_ROWS:,} results" in text
    assert ">thesislab</td><td>local</td>" in text
    # Pruned networks before fine-tuning are left out of the overview, not of the counts.
    overview = home.charts["overview"]
    plotted = thesis["accuracy"].notna() & thesis["latency_ms"].notna()
    assert len(overview.drawn) == (plotted & (thesis["stage"] != "pruned")).sum() + OWN_ROWS
    assert (plotted & (thesis["stage"] == "pruned")).sum() > 0  # so that leaving them out shows


def test_the_differences_page_lists_every_difference_with_its_source(rendered):
    html = rendered["differences.md"]
    reproducible = sum(difference.reproduce is not None for difference in DIFFERENCES)
    assert f"{reproducible} of {len(DIFFERENCES)} differences" in html
    for difference in DIFFERENCES:
        assert str(escape(difference.topic)) in html
        assert str(escape(difference.source)) in html
        assert str(escape(difference.reproduce or difference.reason)) in html


def test_charts_are_valid_vega_lite_in_both_media(pages):
    kinds = {page.template: page for page in reversed(pages)}  # one page of each kind
    for page in kinds.values():
        for chart in page.charts.values():
            if chart.empty:
                continue
            screen = json.loads(spec_json(chart.layout, "screen"))
            printed = json.loads(spec_json(chart.layout, "print"))
            for spec in (screen, printed):
                alt.LayerChart.from_dict(spec, validate=True)
            assert (printed["width"], printed["height"]) == print_size(COLUMN_WIDTH_CM)
            params = printed.get("params", [])
            assert all("bind" not in param and "select" not in param for param in params)
            assert "tooltip" not in json.dumps(printed["layer"])
            assert vega_lite_json(chart).count('"datasets"') == 1


def test_selectors_exist_only_where_there_is_a_choice(pages):
    charts = {c.spec.chart_id: c for page in pages for c in page.charts.values()}
    assert charts["overview"].choices == {"device": [LOCAL, PI]}
    assert charts["overview"].defaults == {"device": PI}
    assert charts["pruning"].choices == {
        "device": [LOCAL, PI],
        "stage": ["fine_tuned", "pruned", "retrained"],
    }
    assert charts["family-effnet"].choices == {}  # only the thesis's, on the Pi
    assert charts["devices"].choices == {}


def test_values_from_result_files_are_escaped_text(rendered):
    escaped = str(escape(HOSTILE_NAME))
    for path, text in rendered.items():
        assert HOSTILE_NAME not in text, path
        assert HOSTILE_FAMILY not in text, path
    assert escaped in rendered[HOME]  # on the frontier table
    assert str(escape(HOSTILE_FAMILY)) in rendered[f"families/{slug(HOSTILE_FAMILY)}.md"]


def test_chart_data_travels_compressed_and_intact(pages, rendered):
    home = next(page for page in pages if page.path == HOME)
    attribute = rendered[HOME].split('data-datasets="', 1)[1].split('"', 1)[0]
    tables = payload.decode(attribute)
    names = tables["points"]["columns"].index("name")
    assert HOSTILE_NAME in {row[names] for row in tables["points"]["data"]}
    assert len(tables["points"]["data"]) == len(home.charts["overview"].shown)


def test_a_chart_with_nothing_to_draw_says_so(tmp_path):
    empty = site_pages(table([tmp_path]))
    for page in empty:
        text = render_page(page, empty)
        assert "tl-chart" not in text
        if page.charts:
            assert "tl-empty" in text, page.path


def test_downsampling_keeps_the_frontier_and_whole_pairs(results_table):
    prepared = frames.prepare(results_table)
    chart = Chart(ChartSpec("small", "small"), frames.measured(prepared), max_points=40)
    assert len(chart.shown) <= 40 < len(chart.drawn)
    assert set(chart.front["row"]) <= set(chart.shown.index)
    pairs = frames.distillation_pairs(prepared)
    paired = Chart(ChartSpec("p", "p", paired=True, shape="side"), pairs, max_points=10)
    assert paired.shown.groupby("pair").size().eq(2).all()


def test_one_more_result_changes_the_sample_by_a_point_or_two(results_table):
    rows = frames.measured(frames.prepare(results_table)).reset_index(drop=True)
    full = Chart(ChartSpec("all", "all"), rows, max_points=40)
    assert len(full.shown) == 40
    newest = next(row for row in range(len(rows)) if row not in set(full.front["row"]))
    fewer = Chart(ChartSpec("all", "all"), rows.drop(index=newest), max_points=40)

    def points(chart: Chart) -> set[tuple[str, str, str]]:
        shown = chart.shown
        return set(zip(shown["config_id"], shown["quantization"], shown["device"], strict=True))

    assert len(points(full) ^ points(fewer)) <= 2  # the new point in, one other out


def test_exporting_checks_the_selection(pages):
    overview = next(page for page in pages if page.path == HOME).charts["overview"]
    spec = json.loads(vega_lite_json(overview, selection={"device": LOCAL}))
    assert {p["name"]: p["value"] for p in spec["params"]}["select_device"] == LOCAL
    with pytest.raises(ThesislabError, match="expected device to be one of local, raspberry-pi-3b"):
        vega_lite_json(overview, selection={"device": "toaster"})
    with pytest.raises(ThesislabError, match="expected stage to be one of"):
        vega_lite_json(overview, selection={"stage": "pruned"})
