"""The table of all results at a few thousand rows, loaded from its data files over file:// in
Chromium: every row arrives, in the table's order, and filtering and sorting work on them all."""

from __future__ import annotations

import random

import pytest

from thesislab.results.table import TABLE_COLUMNS
from thesislab.site import frames
from thesislab.site.build import PACKAGE_ASSETS
from thesislab.site.page import Page
from thesislab.site.pages import results_table
from thesislab.site.render import ASSETS_DIR, render_page

pytestmark = [pytest.mark.browser]

ROWS = 5000
FAMILIES = ("mobilenetv2", "shufflenetv2", "wideresnet", "mnasnet")


def _results(count: int) -> object:
    """A results table of `count` configurations, one row each, in the table's order."""
    import pandas as pd

    rng = random.Random(0)
    rows = []
    for index in range(count):
        family = FAMILIES[index % len(FAMILIES)]
        rows.append(
            {
                "name": f"net-{index:05d}",
                "family": family,
                "stage": "trained",
                "role": "published",
                "distilled": False,
                "params": 1000 + index,
                "macs": 100_000 + index,
                "source": "thesislab",
                "architecture": "{}",
                "config_id": f"{rng.getrandbits(80):020x}",
                "model_ids": [],
                "quantization": rng.choice(("fp32", "int8")),
                "device": "local",
                "accuracy": rng.uniform(0.8, 0.95),
                "n_seeds": 1,
                "latency_ms": rng.uniform(1, 100),
                "latency_from": "measured",
            }
        )
    frame = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    return frame.sort_values(["source", "family", "name"], ignore_index=True)


@pytest.fixture(scope="module")
def table_page(tmp_path_factory: pytest.TempPathFactory):
    """The page of all results, alone in a folder with the site's script and its data files."""
    prepared = frames.prepare(_results(ROWS))
    context = results_table(prepared)
    page = Page("results.md", "All results", "results.j2", context=context)
    root = tmp_path_factory.mktemp("results-page")
    for chunk in context["chunks"]:
        (root / chunk.path).parent.mkdir(parents=True, exist_ok=True)
        (root / chunk.path).write_bytes(chunk.content)
    (root / ASSETS_DIR / "site.js").write_bytes((PACKAGE_ASSETS / "site.js").read_bytes())
    body = render_page(page, [page])
    (root / "results.html").write_text(
        f'<!doctype html><meta charset="utf-8"><title>All results</title>\n{body}\n'
        f'<script src="{ASSETS_DIR}/site.js"></script>\n',
        encoding="utf-8",
    )
    return root / "results.html", prepared, len(context["chunks"])


def _wait_for_count(page, text: str) -> None:
    page.wait_for_function(f"document.querySelector('.tl-count').textContent === {text!r}")


def test_every_row_loads_from_its_data_files_and_filters_and_sorts(watched, table_page):
    page, watch = watched
    path, prepared, chunks = table_page
    assert chunks > 1  # the rows come in several data files
    page.goto(path.as_uri())
    _wait_for_count(page, f"{ROWS} of {ROWS} results")
    names = page.locator(".tl-results tbody tr td:first-child")
    assert names.count() == 100
    assert names.first.inner_text() == prepared["name"].iloc[0]  # the table's order, kept
    page.locator(".tl-previous").click()
    assert page.locator(".tl-page").inner_text() == f"page 1 of {ROWS // 100}"

    family = FAMILIES[1]
    page.locator(".tl-filter").fill(f"{family} int8")
    chosen = prepared[(prepared["family"] == family) & (prepared["quantization"] == "int8")]
    _wait_for_count(page, f"{len(chosen)} of {ROWS} results")
    page.locator("th[data-column=latency_ms] button").click()
    page.locator("th[data-column=latency_ms] button").click()  # descending
    slowest = chosen["latency_ms"].max()
    columns = page.locator(".tl-results thead th").evaluate_all(
        "ths => ths.map(th => th.dataset.column)"
    )
    first = page.locator(".tl-results tbody tr").first.locator("td")
    assert first.nth(columns.index("latency_ms")).inner_text() == f"{slowest:,.2f} ms"
    assert first.nth(columns.index("family")).inner_text() == family

    last = prepared["name"].iloc[-1]  # the last row of the last data file is there
    page.locator(".tl-filter").fill(last)
    _wait_for_count(page, f"1 of {ROWS} results")
    assert names.first.inner_text() == last
    assert watch.errors == [] and watch.outside == []
