"""Charts at their edges: a single point, nothing drawable, an empty selection; the device every
chart starts on, named under it and in its figure; the thesis's hollow marks in the legend; and
sentences about a chart that hold for what it draws. The tick labels and the empty selection are
checked in Chromium."""

from __future__ import annotations

import json
import re

import pytest

from tests.site.chromium import CHROMIUM, CHROMIUM_FLAGS
from tests.site.site_records import HOSTILE_FAMILY, LOCAL, PI
from tests.site.test_browser import DRAWN
from tests.system_deps import require_executable
from thesislab.site.charts.controls import selection_text
from thesislab.site.charts.layers import OWN_MARKS, REFERENCE_MARKS
from thesislab.site.charts.selections import LINEAR_MIN_SPAN, LOG_MIN_RATIO
from thesislab.site.charts.vega import vega_lite_json
from thesislab.site.exports import chart_file
from thesislab.site.links import model_page
from thesislab.site.page import HOME, slug
from thesislab.site.pages import default_device, site_pages
from thesislab.site.render import relative_url, render_page


@pytest.fixture(scope="module")
def pages(results_table):
    return site_pages(results_table)


@pytest.fixture(scope="module")
def charts(pages):
    return {chart.spec.chart_id: chart for page in pages for chart in page.charts.values()}


@pytest.fixture(scope="module")
def rendered(pages):
    return {page.path: render_page(page, pages) for page in pages}


def significant_digits(label: str) -> int:
    """How many significant digits a tick label shows: its digits without the zeros that lead
    or trail ('90.5%': 3, '0.30': 1, '1.012101': 7)."""
    return len(re.sub(r"\D", "", label).strip("0"))


def test_significant_digits_are_counted_as_a_reader_would():
    assert [significant_digits(label) for label in ["90.5%", "0.3", "20", "0.321634"]] == [
        3,
        1,
        1,
        6,
    ]


def test_a_single_point_gets_an_axis_either_side_of_it(charts):
    chart = charts["family-effnet"]  # the thesis's one effnet network, on the Pi
    assert len(chart.drawn) == 1
    point = chart.drawn.iloc[0]
    padding = chart.datasets["padding"]
    latency, accuracy = padding["latency_ms"], padding["accuracy"]
    assert latency.min() < point["latency_ms"] < latency.max()
    assert latency.max() / latency.min() == pytest.approx(LOG_MIN_RATIO)
    assert accuracy.min() < point["accuracy"] < accuracy.max()
    assert accuracy.max() - accuracy.min() == pytest.approx(LINEAR_MIN_SPAN)
    assert charts["overview"].datasets["padding"].empty  # wide enough on every device


def test_an_exported_one_point_figure_has_ticks_of_three_significant_digits(charts):
    svg = chart_file(charts["family-effnet"], "svg").decode()
    labels = re.findall(r'<g class="mark-text role-axis-label"[^>]*>(.*?)</g>', svg, re.S)
    ticks = [re.sub(r"<[^>]+>", "", text) for group in labels for text in group.split("</text>")]
    ticks = [tick.strip() for tick in ticks if tick.strip()]
    assert len(ticks) >= 4  # round values either side of the point, on both axes
    assert all(significant_digits(tick) <= 3 for tick in ticks), ticks


def test_every_chart_starts_on_the_device_with_the_most_results(pages, charts, results_table):
    assert default_device(results_table[results_table["stage"] != "pruned"]) == PI
    with_choice = [chart for chart in charts.values() if "device" in chart.choices]
    assert len(with_choice) >= 5
    for chart in with_choice:
        assert chart.defaults["device"] == PI, chart.spec.chart_id


def test_every_caption_and_figure_title_names_the_device(pages, rendered):
    named = 0
    for page in pages:
        for chart in page.charts.values():
            if chart.empty or "device" not in chart.spec.selectors:
                continue
            device = chart.defaults.get("device") or chart.fixed["device"]
            assert f"<strong>{device}</strong>" in rendered[page.path], chart.spec.chart_id
            title = selection_text(chart.layout)
            assert title is not None and "Device: " in title, chart.spec.chart_id
            named += 1
    assert named >= 10
    home = rendered[HOME]
    assert f"every chart starts on {PI}, the device with the most results" in home
    assert f"the Device menu shows {LOCAL}" in home


def test_a_chart_without_results_on_the_default_device_says_where_it_starts(results_table):
    import pandas as pd

    strange = results_table[results_table["family"] == HOSTILE_FAMILY]
    assert set(strange["device"]) == {LOCAL}
    elsewhere = strange.assign(device="box", latency_ms=strange["latency_ms"] * 2)
    pages = site_pages(pd.concat([results_table, elsewhere], ignore_index=True))
    page = next(page for page in pages if page.path == f"families/{slug(HOSTILE_FAMILY)}.md")
    chart = page.charts["family"]
    assert chart.choices == {"device": ["box", LOCAL]} and chart.defaults == {"device": "box"}
    text = render_page(page, pages)
    assert f"every chart starts on {PI}, the device with the most results, but this one" in text
    pi_only = next(page for page in pages if page.path == "families/mobilenetv1.md")
    assert pi_only.charts["family"].fixed == {"device": PI}
    assert f"Measured on <strong>{PI}</strong>, the only device" in render_page(pi_only, pages)


def test_the_legend_tells_hollow_from_filled_marks(charts):
    printed = json.loads(vega_lite_json(charts["overview"]))
    points = next(layer for layer in printed["layer"] if layer["name"] == "points")
    key = points["encoding"]["strokeDash"]
    assert key["scale"]["domain"] == [OWN_MARKS, REFERENCE_MARKS]
    effnet = json.loads(vega_lite_json(charts["family-effnet"]))
    only_the_thesis = next(layer for layer in effnet["layer"] if layer["name"] == "points")
    assert only_the_thesis["encoding"]["strokeDash"]["scale"]["domain"] == [REFERENCE_MARKS]


def test_rows_that_cannot_be_drawn_are_listed_with_links_and_why(charts, rendered):
    overview = charts["overview"]
    undrawn = {group.lacks: group.rows for group in overview.undrawn}
    assert sum(len(rows) for rows in undrawn.values()) == len(overview.rows) - len(overview.drawn)
    lacking = undrawn["a latency measurement"]
    assert lacking["latency_ms"].isna().all() and lacking["accuracy"].notna().all()
    home = rendered[HOME]
    assert f"Not drawn: {len(lacking)} results without a latency measurement" in home
    assert "see the tables" not in home
    for config_id in lacking["config_id"]:
        assert f'href="{relative_url(HOME, model_page(config_id))}"' in home


def test_a_chart_with_nothing_drawable_says_why_and_lists_its_results(results_table):
    unmeasured = results_table[results_table["latency_ms"].isna()]
    assert len(unmeasured) > 0
    pages = site_pages(unmeasured)
    home = next(page for page in pages if page.path == HOME)
    text = render_page(home, pages)
    assert home.charts["overview"].empty and "tl-chart" not in text
    assert re.search(r'<p class="tl-empty">[^<]+</p>', text)
    final = unmeasured[unmeasured["stage"] != "pruned"]
    summary = f"Not drawn: {len(final)} results without a latency measurement</summary>"
    assert summary in text and '<details class="tl-undrawn" open>' in text
    assert text.count('<li><a href="models/') == len(final)
    family = next(page for page in pages if page.path == "families/mobilenetv2.md")
    described = render_page(family, pages)
    assert "step line" not in described and "tl-undrawn" in described


def test_a_long_list_of_rows_not_drawn_stops_and_points_to_all_results(results_table):
    import pandas as pd

    unmeasured = results_table[
        results_table["latency_ms"].isna() & (results_table["stage"] != "pruned")
    ]
    copies = 150 // len(unmeasured) + 1
    many = pd.concat(
        unmeasured.assign(
            config_id=unmeasured["config_id"] + f"-{copy}", name=unmeasured["name"] + f"-{copy}"
        )
        for copy in range(copies)
    ).reset_index(drop=True)
    pages = site_pages(many)
    text = render_page(next(page for page in pages if page.path == HOME), pages)
    assert f"Not drawn: {len(many)} results without a latency measurement" in text
    assert text.count('<li><a href="models/') == 100
    assert f'and {len(many) - 100} more results: <a href="results.html">All results</a>' in text


def test_the_pruning_pages_offer_the_menus_their_charts_have(pages, rendered, charts):
    fisher = charts["method-fisher"]
    assert "device" not in fisher.choices and "stage" in fisher.choices
    text = rendered["pruning/fisher.md"]
    assert "Choose the stage (right after pruning, retrained from scratch)." in text
    assert "the device" not in text.split("<figure")[0]
    netadapt = charts["method-netadapt"]
    assert "device" in netadapt.choices
    assert " and the device." in rendered["pruning/netadapt.md"].split("<figure")[0]


def test_an_empty_selection_has_a_line_saying_so(charts):
    effnet = charts["family-effnet"]
    counts = effnet.datasets["counts"].set_index("scope")
    assert counts.loc["all", "points"] == 1  # the thesis's network ...
    assert (counts.loc["own", "points"], counts.loc["own", "hidden"]) == (0, 1)  # ... hidden
    pruning = charts["pruning"].datasets["counts"]
    empty = pruning[(pruning["device"] == LOCAL) & (pruning["stage"] == "pruned")]
    assert set(empty["points"]) == {0} and set(empty["hidden"]) == {0}


def _open(page, url: str) -> None:
    page.goto(url)
    page.wait_for_function(DRAWN, timeout=30_000)


@pytest.mark.browser
@pytest.mark.slow
def test_chromium_draws_a_single_point_with_round_ticks_and_says_when_nothing_is_shown(
    built_site,
):
    executable = require_executable(CHROMIUM, "chromium")
    from playwright.sync_api import sync_playwright

    chart = "#chart-family-effnet"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        view = browser.new_page(viewport={"width": 1400, "height": 900})
        errors: list[str] = []
        view.on("pageerror", lambda error: errors.append(str(error)))
        _open(view, (built_site.root / "families" / "effnet.html").as_uri())
        ticks = view.locator(f"{chart} .role-axis-label text").all_text_contents()
        assert len(ticks) >= 4, ticks
        assert all(significant_digits(tick) <= 3 for tick in ticks), ticks
        message = f"{chart} g.nothing_drawn_marks text"
        assert view.locator(message).count() == 0
        view.locator(f"{chart} input[type=checkbox]").uncheck()  # hide the thesis's results
        view.wait_for_function(f"document.querySelectorAll('{message}').length > 0")
        said = " ".join(view.locator(message).all_text_contents())
        assert "Only the 2019 thesis has results here" in said
        assert view.locator(f"{chart} g.points_marks path").count() == 0
        browser.close()
    assert errors == []
