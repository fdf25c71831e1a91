"""The built site in Debian's Chromium, over http://127.0.0.1 and over file://.

Every page draws its charts with the expected number of points, without a console error and
without one request leaving the machine; tooltips, legend highlighting and downloads work; names
that are markup stay text.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.site.site_records import (
    CALIBRATION_NETWORK,
    HOSTILE_FAMILY,
    HOSTILE_NAME,
    LOCAL,
    OWN_PAGE,
    SAMPLE_RUN,
)
from thesislab.site.links import model_page
from thesislab.site.page import slug
from thesislab.site.pages import site_pages

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DRAWN = """() => {
    const charts = document.querySelectorAll('.tl-chart');
    const views = window.thesislabViews || {};
    return [...charts].every((chart) => views[chart.dataset.chartId]);
}"""

KEY_CELLS = """() => [...document.querySelectorAll('.md-content table')].map((table) => {
    const heads = [...table.querySelectorAll('thead th')].map((th) => th.textContent.trim());
    const row = table.querySelector('tbody tr');
    const box = (title) => {
        const i = heads.indexOf(title);
        return i < 0 || !row ? null : row.children[i].getBoundingClientRect().toJSON();
    };
    return {heads, accuracy: box('Accuracy'), latency: box('Latency')};
})"""
"""The first row's accuracy and latency cells of each table of a page, with its headings."""


def _open(page, url: str) -> None:
    page.goto(url)
    page.wait_for_function(DRAWN, timeout=30_000)


def test_every_page_draws_all_its_points_with_kept_apart_networks_and_key_columns_in_place(
    watched, root, catalogued_pages, kept_apart
):
    """One visit to each page, at 1400 px: its charts draw every point they should, a sample
    run or calibration network only on its own page, and the accuracy and latency of each
    results table are in view."""
    page, watch = watched
    page.set_viewport_size({"width": 1400, "height": 1000})
    in_view = []
    for shown in catalogued_pages:
        path = f"{shown.path.removesuffix('.md')}.html"
        _open(page, f"{root}/{path}")
        drawn = page.evaluate(
            "Object.fromEntries(Object.entries(window.thesislabViews).map(([id, view]) => "
            "[id, view.data('points').map((point) => point.config_id)]))"
        )
        expected = {
            chart.spec.chart_id: len(chart.shown)
            for chart in shown.charts.values()
            if not chart.empty
        }
        assert {chart: len(points) for chart, points in drawn.items()} == expected, path
        own = {kept_apart[name] for name, page_path in OWN_PAGE.items() if page_path == shown.path}
        configurations = {config_id for points in drawn.values() for config_id in points}
        assert configurations & set(kept_apart.values()) == own, path
        if path == "results.html":
            page.locator(".tl-results tbody tr").first.wait_for()
        for table in page.evaluate(KEY_CELLS):
            if table["accuracy"] is None or table["latency"] is None:
                continue  # a summary table (counts, correlations)
            for cell in (table["accuracy"], table["latency"]):
                assert cell["left"] >= 0 and cell["right"] <= 1400, (path, table["heads"])
            in_view.append(path)
    assert {"index.html", "results.html", "quantization.html", "families/wideresnet.html"} <= set(
        in_view
    )
    _open(page, f"{root}/about.html")
    assert watch.errors == [] and watch.outside == [] and watch.dialogs == []


def test_a_request_for_another_machine_is_recorded_and_fails(watched, root):
    page, watch = watched
    _open(page, f"{root}/index.html")
    outcome = page.evaluate(
        "fetch('http://example.com/x', {mode: 'no-cors'}).then(() => 'loaded', () => 'failed')"
    )
    assert outcome == "failed" and watch.outside == ["http://example.com/x"]


def test_the_marks_follow_the_device_selector(watched, root, results_table):
    page, watch = watched
    _open(page, f"{root}/index.html")
    overview = site_pages(results_table)[0].charts["overview"]
    symbols = "#chart-overview g.points_marks path"  # not the legend's symbols
    on_the_pi = (overview.shown["device"] == overview.defaults["device"]).sum()
    assert page.locator(symbols).count() == on_the_pi
    page.locator("#chart-overview select").select_option(LOCAL)
    on_local = (overview.shown["device"] == LOCAL).sum()
    page.wait_for_function(f"document.querySelectorAll('{symbols}').length === {on_local}")
    page.locator("#chart-overview input[type=checkbox]").uncheck()  # hide the thesis's results
    own_on_local = ((overview.shown["device"] == LOCAL) & ~overview.shown["reference"]).sum()
    page.wait_for_function(f"document.querySelectorAll('{symbols}').length === {own_on_local}")
    assert watch.errors == []


def test_a_tooltip_shows_a_markup_name_as_text(watched, root):
    page, watch = watched
    _open(page, f"{root}/index.html")
    point = page.locator("#chart-overview g.role-mark path[aria-label*='onerror']")
    assert point.count() == 1
    point.hover(force=True)
    tooltip = page.locator("#vg-tooltip-element")
    tooltip.wait_for(state="visible")
    assert HOSTILE_NAME in tooltip.inner_text()
    assert "2,000,000" in tooltip.inner_text()  # parameters, formatted
    assert tooltip.locator("img").count() == 0
    assert watch.dialogs == [] and watch.errors == []


def test_clicking_a_legend_entry_highlights_its_points(watched, root):
    page, watch = watched
    _open(page, f"{root}/families/index.html")
    faded = "#chart-families g.points_marks path[opacity='0.08']"
    assert page.locator(faded).count() == 0
    label = page.locator("#chart-families .role-legend-label text", has_text="wideresnet")
    label.click(force=True)  # the SVG, not the text element, receives pointer events
    page.wait_for_function(f'document.querySelectorAll("{faded}").length > 0')
    store = page.evaluate("window.thesislabViews['families'].data('highlight_store')")
    assert [entry["values"] for entry in store] == [["wideresnet"]]
    assert watch.errors == []


def test_markup_in_names_stays_text_on_the_pages(watched, root):
    page, watch = watched
    _open(page, f"{root}/families/{slug(HOSTILE_FAMILY)}.html")
    assert page.locator("h1").inner_text() == HOSTILE_FAMILY
    assert page.locator("svg[onload]").count() == 0
    page.goto(f"{root}/results.html")
    page.locator(".tl-filter").fill("onerror")
    page.wait_for_function("document.querySelector('.tl-count').textContent.startsWith('1 of')")
    assert page.locator(".tl-results tbody td").first.inner_text() == HOSTILE_NAME
    assert page.locator("img[src='x']").count() == 0
    assert watch.dialogs == [] and watch.errors == []


def test_the_results_table_sorts_and_pages(watched, root, results_table):
    page, watch = watched
    page.goto(f"{root}/results.html")
    every = f"{len(results_table)} of {len(results_table)} results"
    page.wait_for_function(f"document.querySelector('.tl-count').textContent === {every!r}")
    assert page.locator(".tl-results tbody tr").count() == 100
    page.locator("th[data-column=latency_ms] button").click()
    fastest = results_table["latency_ms"].min()
    shown = page.locator(".tl-results thead th").evaluate_all(
        "ths => ths.map(th => th.dataset.column)"
    )
    first_row = page.locator(".tl-results tbody tr").first.locator("td")
    assert first_row.nth(shown.index("latency_ms")).inner_text() == f"{fastest:,.2f} ms"
    page.locator(".tl-next").click()
    assert page.locator(".tl-page").inner_text().startswith("page 2 of")
    assert watch.errors == []


@pytest.mark.parametrize("root", ["file"], indirect=True)
def test_every_download_works_from_disk(watched, root):
    page, watch = watched
    _open(page, f"{root}/quantization.html")
    files = {}
    for button in page.locator("#chart-quantization >> xpath=.. >> .tl-download").all():
        with page.expect_download() as download:
            button.click()
        files[download.value.suggested_filename] = Path(download.value.path()).read_bytes()
    assert sorted(files) == [
        "quantization.csv",
        "quantization.pdf",
        "quantization.png",
        "quantization.svg",
        "quantization.vl.json",
    ]
    assert files["quantization.pdf"].startswith(b"%PDF")
    assert files["quantization.png"].startswith(b"\x89PNG")
    png = files["quantization.png"]
    assert int.from_bytes(png[16:20], "big") == round(241 * 300 / 72)  # 8.5 cm at 300 dpi
    resolution = png.index(b"pHYs")  # and says so, right after the header
    assert resolution == 8 + 25 + 4 and png.count(b"pHYs") == 1
    assert png[resolution + 4 : resolution + 13] == (11811).to_bytes(4, "big") * 2 + b"\x01"
    crc = zlib.crc32(png[resolution : resolution + 13]).to_bytes(4, "big")
    assert png[resolution + 13 : resolution + 17] == crc
    assert b"<svg" in files["quantization.svg"][:200]
    spec = json.loads(files["quantization.vl.json"])
    assert spec["width"] == 241 and len(spec["datasets"]["points"]) == 2 * (6 + 1)  # 7 pairs
    assert files["quantization.csv"].decode().startswith("name,family,stage,pruning_method,")
    assert watch.errors == [] and watch.outside == []


@pytest.mark.parametrize("root", ["http"], indirect=True)
def test_instant_navigation_draws_the_next_page(watched, root):
    page, watch = watched
    _open(page, f"{root}/index.html")
    page.evaluate("window.stillTheSameDocument = true")
    page.locator("nav.md-nav a.md-nav__link", has_text="Quantization").first.click()
    page.wait_for_url("**/quantization.html")
    page.wait_for_function("(window.thesislabViews || {}).quantization !== undefined")
    assert page.evaluate("window.stillTheSameDocument") is True  # no full reload
    assert page.evaluate("Object.keys(window.thesislabViews)") == ["quantization"]
    assert watch.errors == [] and watch.outside == []


@pytest.mark.parametrize("root", ["http"], indirect=True)
def test_on_a_narrow_screen_a_table_scrolls_inside_itself_keeping_names(watched, root):
    page, watch = watched
    page.set_viewport_size({"width": 800, "height": 1000})
    page.goto(f"{root}/results.html")
    first_name = page.locator(".tl-results tbody tr").first.locator("td").first
    first_name.wait_for()
    table = page.locator(".tl-results table")
    assert table.evaluate("t => t.scrollWidth > t.clientWidth")  # wider than the screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 800  # the page is not
    table.evaluate("t => { t.scrollLeft = t.scrollWidth; }")
    page.wait_for_function("document.querySelector('.tl-results table').scrollLeft > 0")
    table_box, name_box = table.bounding_box(), first_name.bounding_box()
    assert abs(name_box["x"] - table_box["x"]) < 1  # the name column stays in view
    assert watch.errors == []


@pytest.mark.parametrize("root", ["http"], indirect=True)
def test_search_finds_a_model_page_by_its_thesis_name(watched, root, results_table):
    page, watch = watched
    front = site_pages(results_table)[0].charts["overview"].front_rows
    name = next(name for name in front["name"] if name.replace("_", "").isalnum())
    pages = {model_page(config_id) for config_id in front.loc[front["name"] == name, "config_id"]}
    _open(page, f"{root}/index.html")
    page.locator("input.md-search__input").click()
    page.locator("input.md-search__input").press_sequentially(name)
    page.wait_for_function(  # the results of the whole name, not of the letters typed so far
        "(name) => (document.querySelector('.md-search-result__item h1') || {}).textContent"
        " === name",
        arg=name,
    )
    page.locator(".md-search-result__item > a").first.click()
    page.wait_for_url("**/models/*.html")
    assert urlsplit(page.url).path.removeprefix("/") in pages  # the model's own page
    assert page.locator("h1").inner_text() == name
    assert watch.errors == [] and watch.outside == []


@pytest.mark.parametrize("root", ["file", "http"], indirect=True)
def test_the_error_page_loads_every_file_it_names(watched, root):
    page, watch = watched
    missing: list[str] = []
    page.on("requestfailed", lambda request: missing.append(request.url))
    page.on("response", lambda response: response.status >= 400 and missing.append(response.url))
    page.goto(f"{root}/404.html")
    page.wait_for_load_state("networkidle")
    assert missing == []
    assert page.locator("header.md-header").evaluate("h => getComputedStyle(h).position") in (
        "sticky",
        "fixed",
    )  # Material's stylesheet applies
    page.locator("nav.md-nav a.md-nav__link", has_text="About the thesis").first.click()
    page.wait_for_url("**/about.html")
    assert page.locator("h1").first.inner_text() != ""
    assert missing == [] and watch.errors == [] and watch.outside == []


@pytest.mark.parametrize("root", ["file"], indirect=True)
def test_search_is_hidden_from_disk_without_errors(watched, root):
    page, watch = watched
    for width in (1400, 800):
        page.set_viewport_size({"width": width, "height": 1000})
        _open(page, f"{root}/index.html")
        assert not page.locator(".md-search").is_visible()
        assert not page.locator("label.md-header__button[for=__search]").is_visible()
        page.keyboard.press("/")  # Material's search shortcut
        page.wait_for_timeout(300)
    assert watch.errors == [] and watch.outside == []


@pytest.mark.parametrize("root", ["http"], indirect=True)
def test_sample_runs_and_calibration_networks_are_marked_and_kept_apart(watched, root, kept_apart):
    page, watch = watched
    for name, role in ((SAMPLE_RUN, "sample run"), (CALIBRATION_NETWORK, "calibration network")):
        page.goto(f"{root}/{model_page(kept_apart[name])}")
        assert page.locator("h1").inner_text() == name
        assert role in page.locator(".tl-role").inner_text()
        page.locator(".tl-role a").click()
        page.wait_for_url(f"**/{Path(OWN_PAGE[name]).stem}.html")
        assert name in page.locator(".md-content").inner_text()
    _open(page, f"{root}/samples.html")
    assert page.locator(".tl-download").count() == 0  # no figure for a document of them
    page.goto(f"{root}/index.html")
    what_is_new = page.locator("table.tl-latest").inner_text()
    assert "wrn-40-2-netadapt-own" in what_is_new and SAMPLE_RUN not in what_is_new
    page.goto(f"{root}/results.html")
    page.locator(".tl-filter").fill(SAMPLE_RUN)
    page.wait_for_function("document.querySelector('.tl-count').textContent.startsWith('2 of')")
    assert "sample" in page.locator(".tl-results tbody tr").first.inner_text().split()
    assert watch.errors == [] and watch.outside == []
