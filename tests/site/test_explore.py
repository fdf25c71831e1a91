"""The explore and comparison pages in Debian's Chromium, over http://127.0.0.1 and over file://.

The points drawn follow the axes, colour and filters as the results table says: they are the
rows that `thesislab figure` draws of the same figure spec (`figures.selection`), and the spec
the page downloads draws them again; the address after a change reopens the same view; the view
downloads as SVG, PNG, PDF and CSV too; two configurations picked on the explore page or in the
All results table open side by side, the recipe settings that differ marked.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
import yaml

from thesislab.figures.selection import figure_chart
from thesislab.figures.spec import figure_spec, load_spec
from thesislab.results.columns import value_text, value_texts
from thesislab.site.catalogue import Catalogue
from thesislab.site.explore import EXPLORE, explore_page
from thesislab.site.model_pages import model_pages
from thesislab.site.pages import default_device
from thesislab.site.render import ASSETS_DIR, render_page
from thesislab.store import records

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LOADED = "(window.thesislabExplore || {}).complete"
"""Whether the page has every data file (it draws the first as soon as it has it)."""
DRAWN = "() => window.thesislabExplore.pending.then(() => true)"
"""Wait until the chart is drawn as the page's last change asked."""
DRAWS = "(count) => window.thesislabExplore.draws > count"
POINTS = """() => {
    const explore = window.thesislabExplore;
    const columns = explore.data.columns;
    const text = (name, row) => columns[name].values[columns[name].codes[row]];
    const rows = explore.view ? explore.view.data("points") : [];
    return rows.map((point) => [
        text("config_id", point.row), text("quantization", point.row), text("device", point.row),
        point.x, point.y, point.colour,
    ]);
}"""


FRONT = """() => {
    const explore = window.thesislabExplore;
    const columns = explore.data.columns;
    const text = (name, row) => columns[name].values[columns[name].codes[row]];
    return explore.drawn.frontPoints.map((point) =>
        ["config_id", "quantization", "device"].map((name) => text(name, point.row)));
}"""


def expected_points(frame, view: dict) -> dict[tuple[str, ...], tuple[float, float, str]]:
    """The points `thesislab figure` draws of the figure spec `view`, by their configuration,
    quantization and (where x is the latency) device: their x, y and colour."""
    spec = figure_spec(view)
    rows = figure_chart(frame, spec).rows
    per_device = spec.x == "latency_ms"
    return {
        (
            row["config_id"],
            value_text(row["quantization"]),
            *([row["device"]] if per_device else []),
        ): (
            row[spec.x],
            row[spec.y],
            row[spec.colour],
        )
        for _, row in rows.iterrows()
    }


def drawn_points(page, view: dict) -> dict[tuple[str, ...], tuple[float, float, str]]:
    """The points the page's chart draws, keyed as `expected_points` keys them."""
    per_device = view["x"] == "latency_ms"
    return {
        (config, quantization, *([device] if per_device else [])): (x, y, colour)
        for config, quantization, device, x, y, colour in page.evaluate(POINTS)
    }


def assert_drawn_as_the_table_says(page, frame, view: dict) -> None:
    expected, drawn = expected_points(frame, view), drawn_points(page, view)
    assert drawn.keys() == expected.keys()
    for key, (x, y, colour) in expected.items():
        assert drawn[key][0] == pytest.approx(x, rel=1e-6)
        assert drawn[key][1] == pytest.approx(y, rel=1e-6)
        assert drawn[key][2] == colour
    count = page.locator(".tl-explore-count").inner_text()
    assert count.startswith(f"{len(expected):,} points")


def open_explore(page, url: str) -> None:
    page.goto(url)
    page.wait_for_function(LOADED, timeout=30_000)
    page.evaluate(DRAWN)


def change(page, act) -> None:
    """Do `act` on the page and wait for the chart drawn again."""
    draws = page.evaluate("window.thesislabExplore.draws")
    act()
    page.wait_for_function(DRAWS, arg=draws)


def test_the_points_follow_the_axes_colour_and_filters(watched, root, results_table):
    page, watch = watched
    open_explore(page, f"{root}/explore.html")
    published = results_table[results_table["role"] == "published"]
    view = {
        "x": "latency_ms",
        "y": "accuracy",
        "colour": "family",
        "log_x": True,
        "devices": [default_device(published[published["stage"] != "pruned"])],
    }
    assert_drawn_as_the_table_says(page, results_table, view)
    change(page, lambda: page.select_option("select[name=x]", "macs"))
    view["x"] = "macs"
    assert_drawn_as_the_table_says(page, results_table, view)
    change(page, lambda: page.select_option("select[name=colour]", "quantization"))
    view["colour"] = "quantization"
    assert_drawn_as_the_table_says(page, results_table, view)
    colours = {colour for _, _, colour in drawn_points(page, view).values()}
    assert {"fp32", "int8"} <= colours
    change(page, lambda: page.locator("[data-filter=quantization] input[value=int8]").uncheck())
    quantizations = sorted(set(value_texts(results_table["quantization"])))
    view["filters"] = {"quantization": [value for value in quantizations if value != "int8"]}
    assert_drawn_as_the_table_says(page, results_table, view)
    assert "int8" not in {colour for _, _, colour in drawn_points(page, view).values()}
    assert watch.errors == [] and watch.outside == []


def test_a_page_of_many_data_files_draws_every_row_and_samples_above_its_most(
    watched, built_site, results_table, tmp_path
):
    """The rows in data files of 50 (the site's are of thousands): the page draws the first
    at once, then all of them, their text columns' dictionaries joined; above 40 points, it
    draws every point of the front and a sample of the others."""
    page, watch = watched
    explore = explore_page(results_table, None, chunk_rows=50, most_points=40)
    assert len(explore.assets) == math.ceil(len(results_table) / 50)
    for path, content in explore.assets.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(content)
    shutil.copytree(built_site.root / ASSETS_DIR, tmp_path / ASSETS_DIR, dirs_exist_ok=True)
    scripts = "".join(
        f'<script src="{ASSETS_DIR}/{name}.js"></script>' for name in ("vega", "site")
    )
    body = render_page(explore, [explore])
    html = f"<!doctype html><html><head>{scripts}</head><body>{body}</body></html>"
    (tmp_path / EXPLORE).with_suffix(".html").write_text(html)
    open_explore(page, (tmp_path / EXPLORE).with_suffix(".html").as_uri())
    view = {"x": "latency_ms", "y": "accuracy", "colour": "family", "log_x": True}
    expected = expected_points(results_table, view)
    drawn = drawn_points(page, view)
    front = {tuple(key) for key in page.evaluate(FRONT)}
    assert len(expected) > 40 and len(drawn) == max(40, len(front))
    assert front <= drawn.keys() <= expected.keys()
    count = page.locator(".tl-explore-count").inner_text()
    assert count.startswith(f"{len(expected):,} points, {len(drawn)} of them drawn")
    change(page, lambda: page.select_option("select[name=x]", "params"))
    view["x"] = "params"
    drawn, expected = drawn_points(page, view), expected_points(results_table, view)
    assert len(drawn) == 40 < len(expected) and drawn.keys() <= expected.keys()
    lines = page.evaluate("window.thesislabExplore.drawn.rows.length")
    assert lines == len(expected)  # what the CSV holds
    assert watch.errors == [] and watch.outside == []


def test_the_address_after_a_change_reopens_the_same_view(watched, browser, root, results_table):
    page, watch = watched
    open_explore(page, f"{root}/explore.html")
    change(page, lambda: page.select_option("select[name=y]", "error"))
    change(page, lambda: page.select_option("select[name=colour]", "pruning_method"))
    change(page, lambda: page.locator("[data-filter=role] input[value=sample]").check())
    change(page, lambda: page.locator("input[name=log_y]").check())
    url = page.url
    assert "y=error" in url and "colour=pruning_method" in url and "role=" in url
    state = page.evaluate("window.thesislabExplore.state")
    view = {
        "x": state["x"],
        "y": "error",
        "colour": "pruning_method",
        "log_x": state["log_x"],
        "log_y": True,
        "filters": state["filters"],
        "devices": state["devices"],
    }
    assert_drawn_as_the_table_says(page, results_table, view)
    drawn = drawn_points(page, view)
    again = browser.new_context().new_page()
    try:
        open_explore(again, url)
        assert again.evaluate("window.thesislabExplore.state") == state
        assert drawn_points(again, view) == drawn
        assert again.locator("select[name=colour]").input_value() == "pruning_method"
        assert again.locator("[data-filter=role] input[value=sample]").is_checked()
    finally:
        again.context.close()
    assert watch.errors == [] and watch.outside == []


@pytest.mark.parametrize("root", ["file"], indirect=True)
def test_the_view_downloads_as_figures_data_and_a_figure_spec_that_draws_it_again(
    watched, root, results_table, tmp_path
):
    page, watch = watched
    open_explore(page, f"{root}/explore.html")
    change(page, lambda: page.select_option("select[name=x]", "macs"))
    change(page, lambda: page.locator("[data-filter=distilled] input[value=true]").uncheck())
    picked = page.locator(".tl-explore-front input.tl-pick").first
    name = picked.get_attribute("aria-label").removeprefix("compare ")
    change(page, picked.check)
    files = {}
    for button in page.locator(".tl-explore-download").all():
        with page.expect_download() as download:
            button.click()
        files[download.value.suggested_filename] = Path(download.value.path()).read_bytes()
    assert sorted(files) == [f"explore.{suffix}" for suffix in ("csv", "pdf", "png", "svg", "yaml")]
    state = page.evaluate("window.thesislabExplore.state")
    assert yaml.safe_load(files["explore.yaml"]) == {
        "x": "macs",
        "y": "accuracy",
        "colour": "family",
        "filters": {"distilled": ["false"]},
        "devices": state["devices"],
        "log_x": True,
        "log_y": False,
        "highlight": [name],
        "title": None,
        "width_cm": 8.5,
        "font_size_pt": 9,
    }
    (tmp_path / "explore.yaml").write_bytes(files["explore.yaml"])
    spec = load_spec(tmp_path / "explore.yaml")  # as `thesislab figure explore.yaml` reads it
    assert (
        drawn_points(page, spec.model_dump()).keys()
        == expected_points(results_table, spec.model_dump()).keys()
    )
    lines = files["explore.csv"].decode().splitlines()
    assert len(lines) == 1 + len(figure_chart(results_table, spec).rows)
    assert lines[0].startswith("name,family,stage,pruning_method,distilled,quantization,")
    png = files["explore.png"]
    assert png.startswith(b"\x89PNG") and int.from_bytes(png[16:20], "big") == round(241 * 300 / 72)
    pdf = files["explore.pdf"]
    assert pdf.startswith(b"%PDF") and b"/Subtype /Image" in pdf and pdf.rstrip().endswith(b"%%EOF")
    svg = files["explore.svg"].decode()
    assert svg.startswith("<svg") and "Accuracy against MACs" in svg and name in svg
    assert watch.errors == [] and watch.outside == []


def _facts(results_dirs, results_table) -> dict[str, dict]:
    catalogue = Catalogue.of(records(results_dirs), results_table)
    return {
        page.config_id: json.loads(page.facts) for page in model_pages(results_table, catalogue, {})
    }


def test_two_picked_configurations_open_side_by_side_their_differences_marked(
    watched, root, results_dirs, results_table
):
    page, watch = watched
    open_explore(page, f"{root}/explore.html")
    facts = _facts(results_dirs, results_table)
    front = page.locator(".tl-explore-front input.tl-pick")
    offered = [front.nth(i).get_attribute("data-config") for i in range(front.count())]
    first = offered[0]
    second = next(other for other in offered if facts[other]["recipe"] != facts[first]["recipe"])
    for picked in (first, second):
        change(page, lambda picked=picked: page.check(f".tl-pick[data-config='{picked}']"))
    assert f"compare={first},{second}" in page.url
    page.locator(".tl-compare-link").click()
    page.wait_for_url(f"**/compare.html#ids={first},{second}")
    page.wait_for_function("(window.thesislabCompare || {}).rendered > 0")
    names = page.locator(".tl-compare-table thead th[data-config]").all_inner_texts()
    assert [name.removesuffix(" ×").strip() for name in names] == [
        facts[first]["name"],
        facts[second]["name"],
    ]
    recipes = facts[first]["recipe"], facts[second]["recipe"]
    differing = {
        key for key in {*recipes[0], *recipes[1]} if recipes[0].get(key) != recipes[1].get(key)
    }
    rows = page.locator(".tl-compare-table tbody tr")
    marked, section = set(), None
    for i in range(rows.count()):
        row = rows.nth(i)
        if "tl-compare-section" in (row.get_attribute("class") or ""):
            section = row.inner_text().strip()
        elif section == "Recipe" and "tl-differs" in (row.get_attribute("class") or ""):
            marked.add(row.locator("th").inner_text().strip())
    assert differing and marked == differing
    assert watch.errors == [] and watch.outside == []


@pytest.mark.parametrize("root", ["http"], indirect=True)
def test_configurations_picked_in_the_results_table_open_side_by_side(watched, root):
    page, watch = watched
    page.goto(f"{root}/results.html")
    boxes = page.locator(".tl-results .tl-pick")
    boxes.first.wait_for()
    picked = []
    for i in range(boxes.count()):
        config = boxes.nth(i).get_attribute("data-config")
        if config not in picked:
            boxes.nth(i).check()
            picked.append(config)
        if len(picked) == 2:
            break
    names = [
        page.locator(f".tl-pick[data-config='{c}']").first.get_attribute("data-name")
        for c in picked
    ]
    assert page.locator(".tl-compare-tray .tl-picked").inner_text() == ", ".join(names)
    page.locator(".tl-results .tl-compare-link").click()
    page.wait_for_url(f"**/compare.html#ids={','.join(picked)}")
    page.wait_for_function("(window.thesislabCompare || {}).rendered > 0")
    shown = page.locator(".tl-compare-table thead th[data-config]")
    assert [shown.nth(i).get_attribute("data-config") for i in range(shown.count())] == picked
    assert watch.errors == [] and watch.outside == []
